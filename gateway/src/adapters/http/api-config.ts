// The HTTP API's part of the gateway configuration (`api:` in the YAML file): token bootstrap,
// rate limits, the dashboard folder and CORS. The integrator merges `apiConfigSchema` into the
// gateway's config schema; every value has a default, so `api: {}` is a working API.
import { z } from 'zod';
import { API_ROLES } from './token-store.js';

export const apiConfigSchema = z
  .object({
    /** Serve the API at /api/v1 (the metrics and health routes are served regardless). */
    enabled: z.boolean().default(true),
    /**
     * Tokens created at start when no token of that name exists yet: the SHA-256 (hex) of a token
     * minted elsewhere (`pledgeguard-gateway tokens create` prints one), never the token itself.
     */
    bootstrapTokens: z
      .array(
        z
          .object({
            name: z.string().min(1).max(64),
            role: z.enum(API_ROLES),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
          })
          .strict(),
      )
      .default([]),
    rateLimit: z
      .object({
        /** Requests per token per minute. */
        perTokenPerMinute: z.number().int().min(1).default(600),
        /** Failed authentications per client address per minute before it is refused (429). */
        failedAuthPerMinute: z.number().int().min(1).default(20),
      })
      .strict()
      .default({ perTokenPerMinute: 600, failedAuthPerMinute: 20 }),
    /**
     * Built dashboard (Vite `dist`), served at / when it holds index.html. Relative to the config
     * file; default: this repository's dashboard/dist.
     */
    dashboardDir: z.string().min(1).optional(),
    /** Browser origins allowed to call the API from another site (a bank's multi-gateway dashboard). */
    corsOrigins: z.array(z.string().url().or(z.literal('*'))).default([]),
    /** Read-only JSON-RPC URL handed to browsers in /api/v1/info (the gateway's own RPC may be private). */
    publicRpcUrl: z.string().url().optional(),
  })
  .strict();

export type ApiConfig = z.infer<typeof apiConfigSchema>;

/** The defaults, for callers without a config file (tests, tools). */
export const DEFAULT_API_CONFIG: ApiConfig = apiConfigSchema.parse({});
