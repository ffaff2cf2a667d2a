/**
 * The landing page: a headline under test (`hero`: `control` or `bold`), a call to action left
 * unmarked (goal detection proposes it as a goal; confirm it in the dashboard), and a sign-up
 * button that records the `signup` goal itself with `useTrack`.
 */
import { autotrack } from '@vibariant/sdk/autotrack';
import { detectGoals } from '@vibariant/sdk/goals';
import { useTrack, useVariant, useVibariant } from '@vibariant/sdk/react';
import { useEffect } from 'react';

const HEADLINES = {
  control: {
    title: 'A/B testing for small apps',
    lead: 'Run experiments on a hundred visitors and get honest answers, not p-values.',
  },
  bold: {
    title: 'Ship your first experiment today',
    lead: 'One line of code, a live dashboard, and a clear call when a variant is ready to ship.',
  },
} as const;

const FEATURES = [
  {
    title: 'Honest with tiny samples',
    text: 'Bayesian decisions say "keep testing" until shipping is safe, and how many more visitors it takes.',
  },
  {
    title: 'Traffic that learns',
    text: 'A Top-Two Thompson sampling bandit sends new visitors where they learn the most.',
  },
  {
    title: 'Goals found for you',
    text: 'Sign-up buttons and forms are spotted as you go: confirm them with one click.',
  },
] as const;

/** Page views, engagement and goal detection for the page's lifetime. */
function useAutoTracking(): void {
  const vb = useVibariant();
  useEffect(() => {
    const stopTracking = autotrack(vb);
    const stopGoals = detectGoals(vb);
    return () => {
      stopTracking();
      stopGoals();
    };
  }, [vb]);
}

export function LandingPage() {
  useAutoTracking();
  const variant = useVariant('hero', ['control', 'bold']);
  const track = useTrack();
  const headline = HEADLINES[variant];
  return (
    <>
      <header className="nav">
        <a className="brand" href="/">
          <span className="brand-mark" aria-hidden="true" />
          Tinyship
        </a>
        <nav aria-label="Main">
          <a href="#features">Features</a>
          <button
            id="signup"
            className="button ghost"
            type="button"
            onClick={() => track('signup')}
          >
            Sign up
          </button>
        </nav>
      </header>
      <main data-variant={variant}>
        <section className="hero">
          <p className="eyebrow">Experiments for apps with few users</p>
          <h1>{headline.title}</h1>
          <p className="lead">{headline.lead}</p>
          <div className="actions">
            {/* Not marked: goal detection reports it as a candidate goal when it is used. */}
            <button id="cta" className="button primary" type="button">
              Start free trial
            </button>
            <a className="button link" href="#features">
              See how it works
            </a>
          </div>
        </section>
        <section id="features" className="features" aria-label="Features">
          {FEATURES.map((feature) => (
            <article key={feature.title} className="card">
              <h2>{feature.title}</h2>
              <p>{feature.text}</p>
            </article>
          ))}
        </section>
      </main>
      <footer className="footer">
        You are seeing variant <code id="variant">{variant}</code> of the experiment{' '}
        <code>hero</code>.
      </footer>
    </>
  );
}
