// Lots: status list, downsampled quantity series with markers, attestations, alerts.
import { Type } from 'typebox';
import { ApiError, notFound } from '../errors.js';
import {
  AlertSchema,
  AttestationSchema,
  LotSchema,
  SeriesQuery,
  SeriesSchema,
} from '../schemas.js';
import { responses, type RouteContext, type TypedApp } from './common.js';

const LotParams = Type.Object({ lotId: Type.String({ minLength: 1, maxLength: 64 }) });
const Limit = (defaultLimit: number) =>
  Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1_000, default: defaultLimit }) });

export function lotRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/lots',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lots'],
        summary: 'Lots with quantity, flags and last attestation',
        response: responses(Type.Array(LotSchema)),
      },
    },
    async () => context.data.lots(),
  );
  app.get(
    '/lots/:lotId/series',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lots'],
        summary: 'Quantity over time, at most `points` buckets (min/max/last per bucket)',
        params: LotParams,
        querystring: SeriesQuery,
        response: responses(SeriesSchema),
      },
    },
    async (request) => {
      const { fromMs, toMs, points } = request.query;
      if (fromMs !== undefined && toMs !== undefined && fromMs > toMs)
        throw new ApiError('PG_API_BAD_REQUEST', 'querystring/fromMs must not be after toMs');
      const series = context.data.lotSeries(request.params.lotId, { fromMs, toMs, points });
      if (!series) throw notFound(`lot ${request.params.lotId}`);
      return series;
    },
  );
  app.get(
    '/lots/:lotId/attestations',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lots'],
        summary: "The lot's attestations, newest first",
        params: LotParams,
        querystring: Limit(50),
        response: responses(Type.Array(AttestationSchema)),
      },
    },
    async (request) => {
      const rows = context.data.lotAttestations(request.params.lotId, request.query.limit);
      if (!rows) throw notFound(`lot ${request.params.lotId}`);
      return rows;
    },
  );
  app.get(
    '/lots/:lotId/alerts',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lots'],
        summary: "The lot's alerts, newest first",
        params: LotParams,
        querystring: Limit(100),
        response: responses(Type.Array(AlertSchema)),
      },
    },
    async (request) => {
      const rows = context.data.lotAlerts(request.params.lotId, request.query.limit);
      if (!rows) throw notFound(`lot ${request.params.lotId}`);
      return rows;
    },
  );
}
