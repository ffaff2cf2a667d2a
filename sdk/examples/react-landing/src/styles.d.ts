/** Style sheets imported for their side effect: esbuild bundles them into `landing.css`. */
declare module '*.css';
