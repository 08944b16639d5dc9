// The dmn-js modeler for the supervisors' decision-table editor, bundled with
// process.env.NODE_ENV = "production" so that Inferno (dmn-js's view library) is its
// production build: dmn-js's own dist/dmn-modeler.production.min.js embeds Inferno's
// development build and logs its warning (bpmn-io/dmn-js#965). Built by bin/setup
// (frontend/build.mjs); the global matches the dist bundle's (window.DmnJS).
import DmnModeler from "dmn-js/lib/Modeler";

window.DmnJS = DmnModeler;
