// Evidence (auditor): an attestation's signed readings with their Merkle proofs, and one reading
// with its epoch proof. Enough for a browser to verify without trusting the gateway.
import { Type } from 'typebox';
import { notFound } from '../errors.js';
import { EvidenceSchema, ReadingSchema } from '../schemas.js';
import { responses, type RouteContext, type TypedApp } from './common.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export function evidenceRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/attestations/:id/evidence',
    {
      config: { access: 'evidence' },
      schema: {
        tags: ['evidence'],
        summary: 'Signed readings, keys and RFC 6962 proofs behind an attestation',
        params: IdParams,
        response: responses(EvidenceSchema),
      },
    },
    async (request) => {
      const evidence = context.data.evidence(request.params.id);
      if (!evidence) throw notFound(`attestation ${request.params.id}`);
      return evidence;
    },
  );
  app.get(
    '/readings/:id',
    {
      config: { access: 'evidence' },
      schema: {
        tags: ['evidence'],
        summary: 'One accepted reading: raw COSE bytes, epoch proof, attestations carrying it',
        params: IdParams,
        response: responses(ReadingSchema),
      },
    },
    async (request) => {
      const reading = context.data.reading(request.params.id);
      if (!reading) throw notFound(`reading ${request.params.id}`);
      return reading;
    },
  );
}
