/** A cookie as a Set-Cookie header described it. */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names in lower case (`httponly`, `secure`, `samesite`, `path`, …) to values. */
  readonly attributes: Record<string, string>;
}

/** Parses one Set-Cookie header value. */
export function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  return {
    name: pair.slice(0, eq),
    value: decodeURIComponent(pair.slice(eq + 1)),
    attributes: Object.fromEntries(
      attributes.map((a) => {
        const at = a.indexOf('=');
        return at < 0 ? [a.toLowerCase(), ''] : [a.slice(0, at).toLowerCase(), a.slice(at + 1)];
      }),
    ),
  };
}

/**
 * The cookies a browser would keep for one site: set from responses, sent with requests whose
 * path they cover (no domain or expiry logic beyond removal by an empty value or Max-Age=0).
 */
export class CookieJar {
  private readonly cookies = new Map<string, SetCookie>();

  /** Stores the response's Set-Cookie headers; returns them parsed. */
  store(headers: Headers): SetCookie[] {
    const set = headers.getSetCookie().map(parseSetCookie);
    for (const cookie of set) {
      const removed = cookie.value === '' || cookie.attributes['max-age'] === '0';
      const expired =
        cookie.attributes.expires !== undefined &&
        Date.parse(cookie.attributes.expires) <= Date.now() &&
        cookie.attributes['max-age'] === undefined;
      if (removed || expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie);
    }
    return set;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  set(name: string, value: string, path = '/'): void {
    this.cookies.set(name, { name, value, attributes: { path } });
  }

  /** The Cookie header for a request to `path`. */
  header(path: string): string {
    return [...this.cookies.values()]
      .filter((c) => path.startsWith(c.attributes.path ?? '/'))
      .map((c) => `${c.name}=${encodeURIComponent(c.value)}`)
      .join('; ');
  }
}
