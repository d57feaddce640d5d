/**
 * A bare `@grpc/grpc-js` client of Zeebe's gateway, built from the `zeebe.proto` that ships inside the
 * official `@camunda8/sdk` (so it is the official protocol, not a copy). Used where the SDK cannot express a
 * request (for example `version: 0`, a variables document that is not an object) or where it would retry a
 * status code forever (4 DEADLINE_EXCEEDED), and for job streams whose every message the test must see.
 */
import * as grpc from '@grpc/grpc-js';
import { loadGateway } from '../../src/transport/channel.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader messages are untyped objects */
export type Message = Record<string, any>;

/** A gRPC status error as grpc-js reports it: `code`, `details`, and a message like `5 NOT_FOUND: ...`. */
export type GrpcStatusError = Error & { code: number; details: string };

export class RawGateway {
  readonly client: grpc.Client & Record<string, any>;

  constructor(address: string) {
    const Gateway = loadGateway();
    this.client = new Gateway(address, grpc.credentials.createInsecure());
  }

  /** A unary call; rejects with the gRPC status error. A client-side deadline keeps a silent server from hanging the test. */
  unary(method: string, request: Message, deadlineMs = 15_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const fn = this.client[method];
      if (typeof fn !== 'function') {
        reject(new Error(`no gRPC method ${method}`));
        return;
      }
      fn.call(this.client, request, { deadline: Date.now() + deadlineMs }, (error: GrpcStatusError | null, response: Message) => {
        if (error) reject(error);
        else resolve(response);
      });
    });
  }

  /**
   * A server-streaming call collected to its end: resolves with every message once the server ends the call
   * with OK, rejects with the status error otherwise.
   */
  collect(method: string, request: Message, deadlineMs = 15_000): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      const call: grpc.ClientReadableStream<Message> = this.client[method](request, { deadline: Date.now() + deadlineMs });
      const messages: Message[] = [];
      call.on('data', (m: Message) => messages.push(m));
      call.on('error', (error) => reject(error));
      call.on('end', () => resolve(messages));
    });
  }

  /** Opens a long-lived server stream (StreamActivatedJobs) and hands back the call to read and cancel. */
  open(method: string, request: Message): grpc.ClientReadableStream<Message> {
    const call: grpc.ClientReadableStream<Message> = this.client[method](request);
    call.on('error', () => {
      /* a cancelled stream ends with status 1 CANCELLED; tests that care listen themselves */
    });
    return call;
  }

  close(): void {
    this.client.close();
  }
}
