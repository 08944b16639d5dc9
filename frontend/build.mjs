// Builds frontend/build/dmn-js/dmn-modeler.production.min.js from the pinned dmn-js sources
// with esbuild (see src/dmn-modeler.js for why). Run by bin/setup: `node frontend/build.mjs`.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

await build({
  entryPoints: [join(here, "src", "dmn-modeler.js")],
  outfile: join(here, "build", "dmn-js", "dmn-modeler.production.min.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "linked",  // the libraries' licence headers, beside the bundle
  logLevel: "warning",
});
