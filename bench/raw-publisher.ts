// A lean MQTT 3.1.1 publisher for load generation: mqtt-packet framing over a plain socket and
// PUBLISH packets encoded before the clock starts. A load generator shares the machine's cores with
// the system it measures, so the less CPU it takes per message, the more honest the figure.

import { connect as netConnect, type Socket } from 'node:net';
import { generate, parser as mqttParser } from 'mqtt-packet';

/** A pre-encoded QoS 1 PUBLISH packet. */
export function encodePublish(topic: string, payload: Buffer, messageId: number): Buffer {
  return generate({
    cmd: 'publish',
    topic,
    payload,
    qos: 1,
    messageId,
    retain: false,
    dup: false,
  });
}

/**
 * One device connection: MQTT 3.1.1 CONNECT with the device's password, then pre-encoded PUBLISH
 * packets with at most `window` unacknowledged; every PUBACK must match a message in flight.
 */
export class RawPublisher {
  readonly #socket: Socket;
  readonly #onAck: () => void;
  #packets: Buffer[] = [];
  #next = 0;
  #ended = false;
  #window = 0;
  #mayPublish: () => boolean = () => false;
  #onSend: () => void = () => {};
  readonly #inFlight = new Set<number>();

  private constructor(socket: Socket, onAck: () => void) {
    this.#socket = socket;
    this.#onAck = onAck;
  }

  static connect(
    port: number,
    deviceId: string,
    password: string,
    onAck: () => void,
  ): Promise<RawPublisher> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port, noDelay: true });
      const publisher = new RawPublisher(socket, onAck);
      const parser = mqttParser({ protocolVersion: 4 });
      let connected = false;
      // Before CONNACK a failure rejects the connect; after it, a broken stream ends the bench.
      const fail = (error: Error) => {
        if (!connected) return reject(error);
        throw new Error(`${deviceId}: ${error.message}`, { cause: error });
      };
      parser.on('error', fail);
      parser.on('packet', (packet) => {
        if (packet.cmd === 'connack') {
          if (packet.returnCode !== 0)
            return reject(new Error(`${deviceId}: CONNACK return code ${packet.returnCode}`));
          connected = true;
          return resolve(publisher);
        }
        if (packet.cmd === 'puback') publisher.#acked(packet.messageId!);
      });
      socket.on('data', (chunk) => {
        // One write for all the PUBLISHes the PUBACKs in this chunk release.
        socket.cork();
        parser.parse(chunk);
        process.nextTick(() => socket.uncork());
      });
      socket.on('error', fail);
      socket.write(
        generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: deviceId,
          keepalive: 0,
          username: deviceId,
          password: Buffer.from(password),
        }),
      );
    });
  }

  /** Sets what to publish; `fill` starts it. */
  load(packets: Buffer[], window: number, mayPublish: () => boolean, onSend: () => void): void {
    this.#packets = packets;
    this.#window = window;
    this.#mayPublish = mayPublish;
    this.#onSend = onSend;
  }

  /** Publishes until the window is full (or publishing is paused, or the packets ran out). */
  fill(): void {
    while (
      !this.#ended &&
      this.#inFlight.size < this.#window &&
      this.#next < this.#packets.length &&
      this.#mayPublish()
    ) {
      const messageId = (this.#next % 65_535) + 1;
      this.#inFlight.add(messageId);
      this.#onSend();
      this.#socket.write(this.#packets[this.#next++]!);
    }
  }

  #acked(messageId: number): void {
    if (!this.#inFlight.delete(messageId))
      throw new Error(`PUBACK for message ${messageId}, which is not in flight`);
    this.#onAck();
    this.fill();
  }

  end(): Promise<void> {
    this.#ended = true; // PUBACKs still arriving must not publish into the closing socket
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end(generate({ cmd: 'disconnect' }));
    });
  }
}
