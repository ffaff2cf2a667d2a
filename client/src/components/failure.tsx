import { A } from '@solidjs/router';
import { ApiError } from '../api/http.js';

/** What a page that cannot show its data says instead (no access, the server's error). */
export function Failure(props: { error: unknown }) {
  const message = () => {
    const e = props.error;
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
      return 'This project does not exist, or you are not one of its members.';
    }
    return e instanceof Error ? e.message : String(e);
  };
  return (
    <p role="alert" class="banner warn">
      {message()} <A href="/">Back to your projects</A>
    </p>
  );
}
