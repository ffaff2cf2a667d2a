import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { GitHubSettings } from '../../src/features/accounts/github-oauth.js';

/** A GitHub account of the fake. */
export interface FakeAccount {
  readonly id: number;
  readonly login: string;
  readonly name: string | null;
  readonly emails: { email: string; primary: boolean; verified: boolean }[];
}

/**
 * A local stand-in for github.com and api.github.com that speaks their OAuth web flow: the
 * authorize page (the person signed in at GitHub approves at once), the code exchange (client
 * secret, redirect URI, PKCE S256, single-use codes; errors as GitHub sends them, status 200
 * with an `error` field), `GET /user` and `GET /user/emails`.
 */
export interface FakeGitHub {
  readonly settings: GitHubSettings;
  /** Who is signed in at GitHub when the browser reaches the authorize page. */
  signInAs(account: FakeAccount): void;
  /** Parameters of every authorize request, in order. */
  readonly authorizeRequests: URLSearchParams[];
  close(): Promise<void>;
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const clientId = 'Iv1.fakeclient';
  const clientSecret = randomBytes(20).toString('hex');
  const codes = new Map<
    string,
    { account: FakeAccount; challenge: string; redirectUri: string; used: boolean }
  >();
  const tokens = new Map<string, FakeAccount>();
  const authorizeRequests: URLSearchParams[] = [];
  let current: FakeAccount | undefined;

  const app = express();
  app.get('/login/oauth/authorize', (req, res) => {
    const params = new URLSearchParams(req.url.split('?')[1] ?? '');
    authorizeRequests.push(params);
    const redirectUri = params.get('redirect_uri') ?? '';
    if (params.get('client_id') !== clientId || !current) {
      res.status(404).send('Not Found');
      return;
    }
    const code = randomBytes(10).toString('hex');
    codes.set(code, {
      account: current,
      challenge:
        params.get('code_challenge_method') === 'S256' ? (params.get('code_challenge') ?? '') : '',
      redirectUri,
      used: false,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', params.get('state') ?? '');
    res.redirect(302, back.toString());
  });

  app.post('/login/oauth/access_token', express.urlencoded({ extended: false }), (req, res) => {
    const body = req.body as Record<string, string>;
    const grant = codes.get(body.code ?? '');
    const error = (name: string) => res.json({ error: name, error_description: name });
    if (body.client_id !== clientId || body.client_secret !== clientSecret) {
      return error('incorrect_client_credentials');
    }
    if (!grant || grant.used) return error('bad_verification_code');
    if (body.redirect_uri !== grant.redirectUri) return error('redirect_uri_mismatch');
    const challenge = createHash('sha256')
      .update(body.code_verifier ?? '')
      .digest('base64url');
    if (grant.challenge === '' || challenge !== grant.challenge)
      return error('bad_verification_code');
    grant.used = true;
    const token = `gho_${randomBytes(18).toString('hex')}`;
    tokens.set(token, grant.account);
    res.json({ access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
  });

  const accountOf = (authorization: string | undefined) =>
    tokens.get(/^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '');
  app.get('/user', (req, res) => {
    const account = accountOf(req.get('authorization'));
    if (!account) return void res.status(401).json({ message: 'Bad credentials' });
    res.json({ id: account.id, login: account.login, name: account.name, email: null });
  });
  app.get('/user/emails', (req, res) => {
    const account = accountOf(req.get('authorization'));
    if (!account) return void res.status(401).json({ message: 'Bad credentials' });
    res.json(account.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })));
  });

  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    settings: {
      clientId,
      clientSecret,
      authorizeUrl: `${base}/login/oauth/authorize`,
      tokenUrl: `${base}/login/oauth/access_token`,
      apiUrl: base,
    },
    signInAs(account) {
      current = account;
    },
    authorizeRequests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
