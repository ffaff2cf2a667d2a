/**
 * Calls `probe` every 50 ms until it returns something other than undefined, and returns that.
 * @throws Error when `timeoutMs` (default 15,000) passes first, with the last probe's error.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}
