/**
 * Wall time, for the few checks that must not follow the engine's pinnable clock: a bearer token's `exp` and
 * `nbf` are judged against the real time, so that a test that pins or advances engine time does not make
 * valid tokens look expired (or expired ones valid).
 */

/** Epoch milliseconds of the machine's clock, whatever the engine clock says. */
export function wallNow(): number {
  return Date.now();
}
