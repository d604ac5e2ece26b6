/**
 * /crl is rebuilt in the background: a revocation reaches it within CRL_REFRESH_SECONDS plus a
 * build or two, not at once. Tests that revoke poll for what they expect, within a bound, and
 * assert on the last CRL they got, so a revocation that never arrives fails with the usual message.
 */
export async function fetchCrlUntil(url: string, ready: (der: Buffer) => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const der = Buffer.from(await (await fetch(`${url}/crl`)).arrayBuffer());
    if ((await ready(der)) || Date.now() > deadline) return der;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a DER CRL lists `serial` (lower-case hex): its INTEGER's content bytes appear in it. */
export function listsSerial(der: Buffer, serial: string): boolean {
  return der.includes(Buffer.from(serial.length % 2 ? `0${serial}` : serial, "hex"));
}
