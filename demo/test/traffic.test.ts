import { expect, it } from 'vitest';
import { startTraffic } from '../src/traffic.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('starts visits at the rate asked, up to the visitor count', async () => {
  const starts: number[] = [];
  const traffic = startTraffic({
    rate: 100,
    maxVisitors: 50,
    visit: async (index) => {
      starts.push(index);
    },
  });
  await traffic.done;
  const { started, finished, failed, elapsedMs } = traffic.counts();
  expect({ started, finished, failed }).toEqual({ started: 50, finished: 50, failed: 0 });
  expect(starts).toEqual(Array.from({ length: 50 }, (_, i) => i));
  // 50 visits at 100 a second take half a second (timers on a busy machine: a little more).
  expect(elapsedMs).toBeGreaterThan(450);
  expect(elapsedMs).toBeLessThan(1_500);
});

it('keeps at most maxInFlight visits going, counts failures, and stop waits for them', async () => {
  let inFlight = 0;
  let most = 0;
  const traffic = startTraffic({
    rate: 1_000,
    maxInFlight: 5,
    visit: async (index) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(100);
      inFlight--;
      if (index % 2 === 1) throw new Error('the server refused');
    },
  });
  await sleep(350);
  await traffic.stop();
  const counts = traffic.counts();
  expect(most).toBe(5);
  expect(inFlight).toBe(0);
  expect(counts.finished).toBe(counts.started);
  expect(counts.started).toBeGreaterThanOrEqual(10);
  expect(counts.started).toBeLessThanOrEqual(25);
  expect(counts.failed).toBe(Math.floor(counts.started / 2));
});

it('refuses a rate that is not positive', () => {
  expect(() => startTraffic({ rate: 0, visit: async () => {} })).toThrow(RangeError);
  expect(() => startTraffic({ rate: Number.NaN, visit: async () => {} })).toThrow(RangeError);
});
