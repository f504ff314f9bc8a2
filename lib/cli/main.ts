import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { processIo, type CliIo } from './io.js';
import { EXIT_OK, EXIT_USER_ERROR, reportError } from './report-error.js';
import { VERSION } from './version.js';

export { EXIT_INTERNAL_ERROR, EXIT_OK, EXIT_USER_ERROR } from './report-error.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Builds the command tree. Command modules are imported lazily inside each action so that
 * `stageline --help` loads nothing but commander (start-up stays far below half a second).
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('stageline')
    .description('The deployment stage of a CI/CD pipeline: render one manifest per environment, promote it through Stack Jobs.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
    })
    .exitOverride();

  const kustomize = program.command('kustomize').description('Render and scaffold _kustomize/ trees with the built-in Kustomize engine');
  kustomize
    .command('build')
    .description(
      'Build a kustomization directory (like `kustomize build DIR`), or every overlay of a project, ' +
        'or several kustomization directories in one process (each output after a `# dir: DIR` line, `---` between them)',
    )
    .argument('[dirs...]', 'a directory holding a kustomization file, or a project root (default: .); or several kustomization directories')
    .addOption(new Option('--reorder <order>', 'resource order').choices(['legacy', 'none']))
    .option('--overlay <name>', 'build only this overlay of the project')
    .option('--out <dir>', 'write one file per overlay into DIR instead of stdout (a single directory only)')
    .option('--json', 'one JSON line per directory: {"dir","output"} or {"dir","error","hint"}; exit 1 if any failed')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  stageline kustomize build overlays/production        # like `kustomize build overlays/production`\n' +
        '  stageline kustomize build . --overlay dev             # one overlay of the project in .\n' +
        '  stageline kustomize build app/a app/b app/c           # three builds, one process\n' +
        '  stageline kustomize build --json $(cat dirs.txt)      # one JSON line per directory, failures included',
    )
    .action(async (dirs: string[], options) => {
      const { kustomizeBuildCommand } = await import('./commands/kustomize-build.js');
      await kustomizeBuildCommand({ dirs, ...options }, io);
    });
  kustomize
    .command('init')
    .description('Scaffold a new _kustomize/ tree (--new), or seed one from a deployed resource (<kind> <name>)')
    .argument('[kind]', 'manifest kind of a deployed resource, e.g. KubernetesDeployment')
    .argument('[name]', 'metadata.name of that resource')
    .option('--new', 'write a new service that deploys as it is: the tree (with a local overlay), and when missing stageline.yaml, the organization config and .gitignore entries')
    .addOption(new Option('--platform <platform>', 'the kind of manifest to scaffold').choices(['kubernetes', 'ecs']).default('kubernetes'))
    .option('--envs <list>', 'comma-separated overlay names (default: the organization environments, else dev,staging,production)')
    .option('--org <name>', 'the organization of a new service that has no organization config yet (default my-org)')
    .option('--project <dir>', 'project root', '.')
    .option('--org-config <file>', 'organization config (default .stageline/organization.yaml)')
    .option('--state-dir <dir>', 'local store (default .stageline/store)')
    .option('--force', 'overwrite existing files')
    .action(async (kind: string | undefined, name: string | undefined, options) => {
      const { kustomizeInitCommand } = await import('./commands/kustomize-init.js');
      await kustomizeInitCommand({ kind, name, ...options }, io);
    });

  program
    .command('dot-env')
    .description('Write .env and .env_export (mode 0600) from an overlay, with variables and secrets resolved')
    .option('--project <dir>', 'project root', '.')
    .option('--env <overlay>', 'overlay to read', 'local')
    .option('--set <K=V>', 'add or override a variable (repeatable)', collect, [])
    .option('--org-config <file>', 'organization config (default .stageline/organization.yaml)')
    .option('--secrets-file <file>', 'local secret source (default .stageline/secrets.yaml)')
    .option('--variables-file <file>', 'local variable source (default .stageline/variables.yaml)')
    .option('--state-dir <dir>', 'local store, for variables read from stack-job outputs (default .stageline/store)')
    .action(async (options) => {
      const { dotEnvCommand } = await import('./commands/dot-env.js');
      await dotEnvCommand(options, io);
    });

  program
    .command('plan')
    .description('Show which environments a branch would deploy, in which order, with which gates')
    .option('--project <dir>', 'project root', '.')
    .option('--branch <branch>', 'the triggering branch (default: the git branch, else main, as deploy)')
    .option('--commit <sha>', 'the commit (default: git HEAD, or a digest of uncommitted source, as deploy)')
    .option('--image <image>', 'the built image (default <service>:<commit>, as deploy)')
    .option('--org-config <file>', 'organization config (default .stageline/organization.yaml)')
    .option('--json', 'print the plan as JSON (stable shape, see README)')
    .action(async (options) => {
      const { planCommand } = await import('./commands/plan.js');
      await planCommand(options, io);
    });

  const localStore = (command: Command) =>
    command
      .option('--project <dir>', 'project root', '.')
      .option('--state-dir <dir>', 'local store (default <project>/.stageline/store)');

  localStore(
    program
      .command('deploy')
      .description('Run the deployment stage: in AWS (upload the build, publish Build Completed), or --local on this machine')
      .option('--local', 'run locally (no AWS account needed)')
      .option('--follow', 'AWS: show progress per environment until the run ends')
      .option('--bucket <name>', 'AWS: the Stageline bucket (default $STAGELINE_BUCKET)')
      .option('--region <region>', 'AWS: the region (default from the environment or profile)')
      .option('--branch <branch>', 'the triggering branch (default: the git branch, else main)')
      .option('--commit <sha>', 'the commit (default: git HEAD, or a digest of uncommitted source)')
      .option('--image <image>', 'the built image (default <service>:<commit>)')
      .option('--tag <tag>', 'the build tag')
      .option('--triggered-by <email>', 'who triggered the build (default: git user.email)')
      .option('--redeploy', 'run this build again as a new run, even if it already ran')
      .option('--verbose', "also print every line of the stack jobs (what the provisioner says; always in stageline logs)")
      .option('--quiet', "print only the run's final line")
      .option('--output <format>', 'text (default), or json: one JSON run event per line on stdout')
      .option('--approve', 'approve every gate as the operator running the command')
      .option('--reject [reason]', 'reject every gate as the operator running the command')
      .option('--org-config <file>', 'organization config (default .stageline/organization.yaml)')
      .option('--secrets-file <file>', 'local secret source (default .stageline/secrets.yaml)')
      .option('--variables-file <file>', 'local variable source (default .stageline/variables.yaml)'),
  ).action(async (options) => {
    const { deployCommand } = await import('./commands/deploy.js');
    await deployCommand(options, io);
  });

  localStore(
    program
      .command('check')
      .description('Look up every secret and variable reference of the environments a branch deploys: where each was found, never a value')
      .option('--env <env>', 'only this environment or overlay (repeatable)', collect, [])
      .option('--branch <branch>', 'the triggering branch (default: the git branch, else main)')
      .option('--org-config <file>', 'organization config (default .stageline/organization.yaml)')
      .option('--secrets-file <file>', 'local secret source (default .stageline/secrets.yaml)')
      .option('--variables-file <file>', 'local variable source (default .stageline/variables.yaml)')
      .option('--json', 'print JSON'),
  ).action(async (options) => {
    const { checkCommand } = await import('./commands/check.js');
    await checkCommand(options, io);
  });

  const deploymentsOf = (command: Command) =>
    localStore(command)
      .option('--org-config <file>', 'organization config (default .stageline/organization.yaml)')
      .option('--bucket <name>', "read the AWS stack's bucket instead of the local store")
      .option('--region <region>', 'AWS: the region (default from the environment or profile)')
      .option('--json', 'print JSON');
  deploymentsOf(program.command('environments').description('What is deployed in each environment (commit, image, digest, run, when, approved by) and what is in flight')).action(
    async (options) => {
      const { environmentsCommand } = await import('./commands/environments.js');
      await environmentsCommand(options, io);
    },
  );
  deploymentsOf(program.command('history').description("One environment's deployments, newest first").argument('<env>', 'environment')).action(async (env: string, options) => {
    const { historyCommand } = await import('./commands/environments.js');
    await historyCommand({ ...options, env }, io);
  });

  const redeployOptions = (command: Command) =>
    localStore(command)
      .option('--local', 'run locally (no AWS account needed)')
      .option('--approve', 'approve every gate as the operator running the command')
      .option('--reject [reason]', 'reject every gate as the operator running the command')
      .option('--triggered-by <email>', 'who asks for it (default: git user.email); they may not approve its gates')
      .option('--verbose', 'also print every line of the stack jobs')
      .option('--quiet', "print only the run's final line")
      .option('--output <format>', 'text (default), or json: one JSON run event per line on stdout')
      .option('--org-config <file>', 'organization config (default .stageline/organization.yaml)')
      .option('--secrets-file <file>', 'local secret source (default .stageline/secrets.yaml)')
      .option('--variables-file <file>', 'local variable source (default .stageline/variables.yaml)');
  redeployOptions(
    program.command('retry').description('A new run of the same build from the environment that stopped it, with its stored manifests, through the same gates').argument('<run>', 'run id'),
  ).action(async (runId: string, options) => {
    const { retryCommand } = await import('./commands/redeploy.js');
    await retryCommand({ ...options, runId }, io);
  });
  redeployOptions(
    program
      .command('rollback')
      .description("Deploy an environment's previous manifest again (byte-identical, references resolved afresh), as a run of kind rollback")
      .argument('<env>', 'environment')
      .option('--to <run|digest>', 'the deployment to restore (default: the newest one whose manifest differs from the current)'),
  ).action(async (env: string, options) => {
    const { rollbackCommand } = await import('./commands/redeploy.js');
    await rollbackCommand({ ...options, env }, io);
  });

  localStore(program.command('runs').description('List runs in the local store, newest first').option('--json', 'print JSON')).action(async (options) => {
    const { runsCommand } = await import('./commands/runs.js');
    await runsCommand(options, io);
  });

  localStore(
    program
      .command('status')
      .description("Show one run's environments and statuses, approvals received, a pending cancel, the end of a failed job's log")
      .argument('<run>', 'run id')
      .option('--json', 'print run.json')
      .option('--follow', 'follow a run in progress (from another shell) until it ends'),
  )
    .action(async (runId: string, options) => {
      const { statusCommand } = await import('./commands/runs.js');
      await statusCommand({ ...options, runId }, io);
    });

  localStore(
    program
      .command('events')
      .description("A run's events as other tools get them (Run Status Change, Environment Status Change, Approval Requested), oldest first")
      .argument('<run>', 'run id')
      .option('--json', 'one JSON event per line')
      .option('--follow', 'keep printing until the run has ended'),
  ).action(async (runId: string, options) => {
    const { eventsCommand } = await import('./commands/events.js');
    await eventsCommand({ ...options, runId }, io);
  });

  localStore(
    program
      .command('logs')
      .description("A run's stack-job logs (redacted, size-capped), every environment's or one's")
      .argument('<run>', 'run id')
      .argument('[env]', 'environment (or overlay)')
      .option('--follow', "keep printing the environment's log until its job has ended"),
  ).action(async (runId: string, env: string | undefined, options) => {
    const { logsCommand } = await import('./commands/logs.js');
    await logsCommand({ ...options, runId, ...(env ? { env } : {}) }, io);
  });

  localStore(program.command('cancel').description('Cancel a run: its stack job in flight is stopped, waiting gates closed, later environments cancelled').argument('<run>', 'run id'))
    .action(async (runId: string, options) => {
      const { cancelCommand } = await import('./commands/runs.js');
      await cancelCommand({ ...options, runId }, io);
    });

  for (const decision of ['approve', 'reject'] as const) {
    localStore(
      program
        .command(decision)
        .description(`${decision === 'approve' ? 'Approve' : 'Reject'} a run's gate for an environment, as yourself (git user.email or --as)`)
        .argument('<run>', 'run id')
        .argument('<env>', 'environment')
        .option('--reason <text>', decision === 'reject' ? 'why (required)' : 'optional note')
        .option('--as <email>', 'your identity (default: git user.email)'),
    ).action(async (runId: string, env: string, options) => {
      const { approveCommand } = await import('./commands/approve.js');
      await approveCommand({ ...options, runId, env, decision }, io);
    });
  }

  program
    .command('stack-job')
    .description('Stack-job runner commands')
    .command('run')
    .description('Run one stack job (the runner CodeBuild or the local runtime starts): fetch, verify, resolve, provision, report')
    .option('--job <json>', 'the job (default: $STAGELINE_JOB)')
    .option('--state-dir <dir>', 'local store (default: $STAGELINE_STATE_DIR)')
    .option('--secrets-file <file>', 'local secret source (default: $STAGELINE_SECRETS_FILE)')
    .option('--variables-file <file>', 'local variable source (default: $STAGELINE_VARIABLES_FILE)')
    .action(async (options) => {
      const { stackJobRunCommand } = await import('./commands/stack-job-run.js');
      await stackJobRunCommand(options, io);
    });

  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return reportCliError(error, io);
  }
}

function reportCliError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (help, version, or a usage error).
    return error.exitCode === 0 ? EXIT_OK : EXIT_USER_ERROR;
  }
  return reportError(error, io);
}

export { UsageError };
