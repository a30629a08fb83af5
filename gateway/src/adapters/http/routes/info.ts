// GET /info: who this gateway is and where its contracts are, for the browser's read-only checks.
import { InfoSchema } from '../schemas.js';
import { responses, type RouteContext, type TypedApp } from './common.js';

export function infoRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/info',
    {
      config: { access: 'read' },
      schema: {
        tags: ['info'],
        summary: 'Gateway, chain and contract addresses',
        response: responses(InfoSchema),
      },
    },
    async () => context.data.info(),
  );
}
