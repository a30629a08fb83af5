// Devices: health (last seen, online), key, rejections by code; revoke (operator-admin).
import { Type } from 'typebox';
import { notFound } from '../errors.js';
import { DeviceSchema } from '../schemas.js';
import { responses, unwrap, type RouteContext, type TypedApp } from './common.js';

const DeviceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export function deviceRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/devices',
    {
      config: { access: 'read' },
      schema: {
        tags: ['devices'],
        summary: 'Registered devices and their health',
        response: responses(Type.Array(DeviceSchema)),
      },
    },
    async () => context.data.devices(),
  );
  app.get(
    '/devices/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['devices'],
        summary: 'One device',
        params: DeviceParams,
        response: responses(DeviceSchema),
      },
    },
    async (request) => {
      const device = context.data.device(request.params.id);
      if (!device) throw notFound(`device ${request.params.id}`);
      return device;
    },
  );
  app.post(
    '/devices/:id/revoke',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['devices'],
        summary: "Revoke a device's key: its readings are refused from now on",
        params: DeviceParams,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false },
        ),
        response: responses(DeviceSchema),
      },
    },
    async (request) => unwrap(context.data.revokeDevice(request.params.id, request.body.reason)),
  );
}
