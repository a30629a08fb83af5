// Quarantine: what the gateway refused, with its code; replay one row after a registry fix.
import { Type } from 'typebox';
import { QuarantineQuery, QuarantineSchema, ReplaySchema } from '../schemas.js';
import { responses, unwrap, type RouteContext, type TypedApp } from './common.js';

export function quarantineRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/quarantine',
    {
      config: { access: 'read' },
      schema: {
        tags: ['quarantine'],
        summary: 'Refused messages, newest first (page with beforeId)',
        querystring: QuarantineQuery,
        response: responses(Type.Array(QuarantineSchema)),
      },
    },
    async (request) => context.data.quarantine(request.query),
  );
  app.post(
    '/quarantine/:id/replay',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['quarantine'],
        summary: 'Re-submit a quarantined message to ingest (after a device or key fix)',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: responses(ReplaySchema),
      },
    },
    async (request) => unwrap(await context.data.replayQuarantine(request.params.id)),
  );
}
