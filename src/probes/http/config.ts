/** The load fields shared by the http and event-loop probes. */
import * as v from 'valibot';
import { crossCheck, facts, num, strict, strMap, text } from '../../config/schema.js';
import { urlTemplate } from '../server.js';

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

function method() {
  return v.pipe(
    text(),
    v.check(
      (m) => methods.includes(m.toUpperCase()),
      (issue) => `must be one of ${methods.join(', ')}, got ${JSON.stringify(issue.input)}`,
    ),
    v.transform((m) => m.toUpperCase()),
  );
}

/** A string, or an object or list sent as JSON. */
function body() {
  return v.pipe(
    v.custom<string | Record<string, unknown> | unknown[]>(
      (b) => typeof b === 'string' || (typeof b === 'object' && b !== null),
      'must be a string, or an object sent as JSON',
    ),
    v.transform((b) => (typeof b === 'string' ? b : JSON.stringify(b))),
  );
}

const request = strict(
  {
    method: v.optional(method()),
    path: v.pipe(
      text(),
      v.check(
        (p) => p.startsWith('/'),
        (issue) => `must start with /, like '/api/tasks', got ${JSON.stringify(issue.input)}`,
      ),
    ),
    headers: v.optional(strMap()),
    body: v.optional(body()),
    weight: v.optional(num({ min: 1, max: 1000, integer: true })),
  },
  { notObject: "must be an object like { path: '/api/tasks', weight: 3 }" },
);

const requestList =
  "must be a non-empty list like [{ path: '/api/tasks', weight: 3 }, " +
  "{ method: 'POST', path: '/api/tasks', body: '{}' }]";

/** Spread into a probe's entries; `loadCheck` goes in its pipe. */
export const loadEntries = {
  url: v.pipe(urlTemplate(), v.description('the url to load, with `{port}`'), facts({ group: 'load' })),
  connections: v.pipe(
    v.optional(num({ min: 1, max: 10000, integer: true }), 10),
    v.description('concurrent connections'),
    facts({ group: 'load' }),
  ),
  duration: v.pipe(
    v.optional(num({ min: 0.1 })),
    v.description('seconds of load per sample'),
    facts({ group: 'load', default: '2' }),
  ),
  amount: v.pipe(
    v.optional(num({ min: 1, integer: true })),
    v.description('or a fixed number of requests per sample (excludes `duration`)'),
    facts({ group: 'load' }),
  ),
  method: v.pipe(v.optional(method()), v.description('the request method'), facts({ group: 'load', default: '`GET`' })),
  headers: v.pipe(v.optional(strMap()), v.description('request headers'), facts({ group: 'load' })),
  body: v.pipe(
    v.optional(body()),
    v.description('the request body (an object is sent as JSON)'),
    facts({ group: 'load' }),
  ),
  timeout: v.pipe(
    v.optional(num({ min: 0.01 })),
    v.description('seconds before a request counts as an error'),
    facts({ group: 'load', default: '10' }),
  ),
  warmup: v.pipe(
    v.optional(num({ min: 0 }), 1),
    v.description('seconds of discarded load after the server is ready'),
    facts({ group: 'load' }),
  ),
  requests: v.pipe(
    v.optional(v.pipe(v.array(request, requestList), v.minLength(1, requestList))),
    v.description(
      'several requests `{ method, path, headers, body, weight }`: each connection cycles through them, ' +
        'a request of weight 3 three times as often as one of weight 1',
    ),
    facts({ group: 'load' }),
  ),
};

/** `amount` and `duration` cannot both be given. */
export function loadCheck<T extends { amount?: number; duration?: number }>() {
  return crossCheck<T>(
    'amount',
    (cfg) => cfg.amount === undefined || cfg.duration === undefined,
    'and duration exclude each other: give a number of requests (amount) or seconds of load (duration)',
  );
}

export type LoadConfig = v.InferOutput<v.ObjectSchema<typeof loadEntries, undefined>>;
