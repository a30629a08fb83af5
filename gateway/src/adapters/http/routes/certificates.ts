// OPC UA server certificates: the client's trust list, and approving a rejected one.
import { Type } from 'typebox';
import { CertificateSchema } from '../schemas.js';
import { responses, unwrap, type RouteContext, type TypedApp } from './common.js';

export function certificateRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/certificates',
    {
      config: { access: 'read' },
      schema: {
        tags: ['certificates'],
        summary: 'OPC UA trust list',
        response: responses(Type.Array(CertificateSchema)),
      },
    },
    async () => context.data.certificates(),
  );
  app.post(
    '/certificates/:thumbprint/approve',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['certificates'],
        summary: 'Trust a rejected OPC UA server certificate',
        params: Type.Object({ thumbprint: Type.String({ pattern: '^[0-9a-fA-F]{40}$' }) }),
        response: responses(CertificateSchema),
      },
    },
    async (request) => unwrap(await context.data.approveCertificate(request.params.thumbprint)),
  );
}
