/**
 * Every error the API reports extends AppError; `http/error-handler.ts` serializes them all as
 * `{ error: { code, message, details } }` with the error's HTTP status.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: a request field is missing or invalid. `details.field` names it. */
export class ValidationError extends AppError {
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super(400, 'invalid_request', message, { field, ...details });
  }
}

/** 401: no credential, or one that is unknown or revoked. */
export class UnauthorizedError extends AppError {
  constructor(message = 'A valid credential is required', details: Record<string, unknown> = {}) {
    super(401, 'unauthorized', message, details);
  }
}

/** 403: the credential is valid but does not reach this resource. */
export class ForbiddenError extends AppError {
  constructor(
    message = 'This credential cannot access this resource',
    details: Record<string, unknown> = {},
  ) {
    super(403, 'forbidden', message, details);
  }
}

/** 404: no such resource within the caller's reach. */
export class NotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super(404, 'not_found', `No ${resource} '${id}'`, { resource, id });
  }
}

/** 409: the request conflicts with the resource's current state. */
export class ConflictError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(409, 'conflict', message, details);
  }
}
