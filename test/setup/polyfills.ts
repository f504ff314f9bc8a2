// aws-local-stepfunctions calls Promise.withResolvers, which Node 20 lacks.
import '../../lib/local-runtime/polyfills.js';
