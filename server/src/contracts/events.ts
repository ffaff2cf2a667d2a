/**
 * The `/v1/events` contract: one batch of typed events from the SDK. Shared with the SDK and the
 * dashboard as types; validated here with zod.
 */
import { z } from 'zod';

/** Most events in one batch. */
export const MAX_EVENTS_PER_BATCH = 500;

/**
 * Whether PostgreSQL can store the string as text and inside jsonb: no NUL character and no
 * unpaired UTF-16 surrogate (neither has a UTF-8 encoding that PostgreSQL accepts).
 */
export const isStorableText = (value: string): boolean =>
  !value.includes('\u0000') && value.isWellFormed();

const STORABLE = 'must not contain NUL or unpaired surrogate characters';

/** A string that can be stored, of `min` to `max` UTF-16 code units. */
const text = (min: number, max: number) =>
  z.string().min(min).max(max).refine(isStorableText, STORABLE);

const experimentKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, "-", "_" or "."');
const variantKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, "-", "_" or "."');
/** A goal's key: 1 to 128 characters, no control characters. */
export const goalKey = z
  .string()
  .min(1)
  .max(128)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
  .refine(isStorableText, STORABLE);
/** Milliseconds since the Unix epoch on the client's clock, up to the end of year 9999. */
const clientTime = z.number().finite().min(0).max(253_402_300_799_999);

const base = {
  /** Client-generated, unique per project: a re-sent event is stored once. */
  id: text(1, 128),
  /** Opaque visitor ID, 1 to 200 characters. */
  visitorId: text(1, 200),
  timestamp: clientTime.optional(),
};

const exposure = z.object({
  ...base,
  type: z.literal('exposure'),
  experiment: experimentKey,
  variant: variantKey,
  /**
   * The allocation version the SDK assigned under; 0 when it had no configuration for the
   * experiment and used equal weights over `variants` (the server's SRM check expects those).
   */
  allocationVersion: z.number().int().min(0).max(2_147_483_647).optional(),
  /** The variants the code declares, in order; lets an unknown experiment be created. */
  variants: z.array(variantKey).min(2).max(50).optional(),
});

const conversion = z.object({
  ...base,
  type: z.literal('conversion'),
  goal: goalKey,
  /** Count for this experiment only; by default for every experiment the visitor is in. */
  experiment: experimentKey.optional(),
});

const goalCandidate = z.object({
  ...base,
  type: z.literal('goal_candidate'),
  goal: goalKey,
  kind: z.enum(['click', 'form_submit', 'page_view']),
  label: text(0, 200).optional(),
  selector: text(0, 500).optional(),
});

const engagement = z.object({
  ...base,
  type: z.literal('engagement'),
  /** Deepest scroll position reached, 0 to 1 of the page height. */
  scrollDepth: z.number().min(0).max(1).optional(),
  /** Active (visible, interacted) time since the previous engagement event, in milliseconds. */
  activeMs: z.number().min(0).max(86_400_000).optional(),
  clicks: z.number().int().min(0).max(100_000).optional(),
  formStarts: z.number().int().min(0).max(100_000).optional(),
  formSubmits: z.number().int().min(0).max(100_000).optional(),
});

const pageView = z.object({
  ...base,
  type: z.literal('page_view'),
  path: text(0, 2048).optional(),
  referrer: text(0, 2048).optional(),
});

/** One event; `type` selects the shape. */
export const eventSchema = z.discriminatedUnion('type', [
  exposure,
  conversion,
  goalCandidate,
  engagement,
  pageView,
]);

export type IngestEvent = z.infer<typeof eventSchema>;
export type ExposureEvent = z.infer<typeof exposure>;
export type ConversionEvent = z.infer<typeof conversion>;
export type GoalCandidateEvent = z.infer<typeof goalCandidate>;
export type EngagementEvent = z.infer<typeof engagement>;
export type EventType = IngestEvent['type'];

/** The batch envelope. Events are validated one by one, so one bad event rejects only itself. */
export const batchSchema = z.object({
  /** The project token, for senders that cannot set headers (sendBeacon). */
  token: z.string().optional(),
  /** When the client sent the batch, on its own clock (milliseconds since the epoch). */
  sentAt: clientTime.optional(),
  /**
   * The visitor's user agent, for senders relaying events from a back end; bot detection uses
   * it instead of the request's User-Agent header.
   */
  userAgent: z.string().max(1000).optional(),
  events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

/** One rejected event in the response. */
export interface RejectedEvent {
  readonly index: number;
  readonly field: string;
  readonly reason: string;
}

/** Response body of `POST /v1/events`. */
export interface IngestResult {
  /** Events stored by this request. */
  readonly accepted: number;
  /** Events already stored by an earlier request (same ID), ignored. */
  readonly duplicates: number;
  readonly rejected: RejectedEvent[];
}
