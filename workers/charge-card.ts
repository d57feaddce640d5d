/**
 * The `charge` job of bpmn/order.bpmn: charges an order's `total` through the card service at `cardServiceUrl`.
 *
 * There is no card service in this repository, so the worker charges through a stand-in: `CARD_SERVICES` says
 * which services are up, and nothing goes over the network. The default service is down, so that README's
 * walkthrough of the CLI meets an incident on every run: a service that is down is a `NonRetryableError` (an
 * incident at once: retrying will not bring it back, a person has to point the order at another service with
 * `forager set-variables … '{"cardServiceUrl":"https://cards-2.example.com"}'`, then retry and resolve).
 * A real worker would call its payment provider here, with `ctx.signal` and an idempotency key (`ctx.once`).
 */
import { z } from 'zod';
import { defineWorker, NonRetryableError } from '../src/index.ts';

/** The card services this stand-in knows, and whether each one is up. */
const CARD_SERVICES: Readonly<Record<string, 'up' | 'down'>> = {
  'https://cards.example.com': 'down',
  'https://cards-2.example.com': 'up',
};

export default defineWorker({
  type: 'charge-card',
  variables: z.object({
    orderId: z.string(),
    total: z.number().positive(),
    cardServiceUrl: z.string().url().default('https://cards.example.com'),
  }),
  handler: async ({ orderId, total, cardServiceUrl }, { log }) => {
    const service = CARD_SERVICES[cardServiceUrl];
    if (service === undefined) throw new NonRetryableError(`no card service at ${cardServiceUrl}`);
    if (service === 'down') throw new NonRetryableError(`card service ${cardServiceUrl} is down`);
    log.info({ orderId, total, cardServiceUrl }, `charged ${total} for order ${orderId}`);
    return { charged: true };
  },
});
