// POST /cosign (gateway-peer): co-signing proposals from the other gateways of the warehouse. The
// handler is the integrator's (app/cosign.ts); without one the route answers 503.
import { Type } from 'typebox';
import { ApiError } from '../errors.js';
import { responses, type RouteContext, type TypedApp } from './common.js';

export function cosignRoutes(app: TypedApp, context: RouteContext): void {
  app.post(
    '/cosign',
    {
      config: { access: 'peer' },
      schema: {
        tags: ['cosign'],
        summary: "A peer gateway's attestation proposal; answers a signature or a coded refusal",
        body: Type.Record(Type.String(), Type.Unknown()),
        response: responses(Type.Record(Type.String(), Type.Unknown())),
      },
    },
    async (request, reply) => {
      if (!context.cosign)
        throw new ApiError('PG_API_UNAVAILABLE', 'co-signing is not configured on this gateway');
      const answer = await context.cosign(request.body, { tokenName: request.principal!.name });
      return reply.code(answer.statusCode).send(answer.body);
    },
  );
}
