// Bundled in place of asl-validator for the CLI: the local runtime runs the state machine with
// validation off (a test validates statemachine/deployment-stage.asl.json with the real
// asl-validator), and loading it cost every local deployment its schema compilation.
export default function aslValidator(): never {
  throw new Error('asl-validator is not bundled with the CLI; the definition is validated by the test suite');
}
