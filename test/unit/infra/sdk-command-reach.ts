import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * Which AWS SDK commands a principal's code can send, and what they name (bucket keys, secret
 * names, ARNs), read from the TypeScript sources with the compiler's type checker:
 *
 * - **Reachability**: from a principal's roots (a Lambda entry's module code; the runner's AWS path
 *   of `stageline stack-job run`) every function, method and initialiser the code refers to is
 *   reached; a call through an interface (`deps.store.get`, `callbacks.heartbeat`) reaches the
 *   method of that name of every class the reached code instantiates (rapid type analysis). So a
 *   principal sends exactly the `new <Name>Command(` sites its reached code contains.
 * - **Values**: a command's input members (`Key`, `SecretId`, `TopicArn`, ...) are evaluated
 *   abstractly to string shapes: literals, templates (`runs/{runId}/run.json`), helper calls
 *   (`runKey(id)` → its return), parameters (→ the arguments of every reached call, through
 *   interface calls too), `this.x` (→ the constructor's assignments and the `new` sites'
 *   arguments), object properties, `requireEnv('X')` / `env.X` (→ the principal's environment from
 *   the template) and keys listed from the store (`for (const key of await store.list(P))` → `P{listed}`).
 *   What cannot be told from the code is an `unknown` naming the expression, for the caller to map.
 */

export type Part = string | { hole: string };

export type Value =
  | { kind: 'str'; parts: Part[] }
  | { kind: 'obj'; node: ts.ObjectLiteralExpression }
  | { kind: 'arr'; node: ts.ArrayLiteralExpression }
  | { kind: 'keys'; parts: Part[] }
  | { kind: 'unknown'; node: ts.Node; why: string }
  | { kind: 'absent'; why: string };

export interface CommandSite {
  /** e.g. `GetObjectCommand`. */
  command: string;
  /** e.g. `@aws-sdk/client-s3`. */
  clientPackage: string;
  /** Repository-relative path. */
  file: string;
  line: number;
  node: ts.NewExpression;
}

const STORE_METHODS = new Set(['get', 'put', 'delete', 'list']);
const COLLECTION_METHODS = new Set(['map', 'filter', 'forEach', 'some', 'every', 'find', 'flatMap', 'findIndex']);
const PASS_THROUGH_METHODS = new Set(['trim', 'filter', 'sort', 'slice', 'toSorted']);

/** The TypeScript program over the principals' roots; node_modules are stubbed (the analysis reads repository code only). */
export class CodeBase {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;

  constructor(
    readonly repoRoot: string,
    rootFiles: string[],
  ) {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      lib: ['lib.es2023.d.ts'],
    };
    const host = ts.createCompilerHost(options, true);
    const read = host.getSourceFile.bind(host);
    // Dependencies are not analysed: an empty module each keeps the program small (imports from
    // them resolve to nothing; SDK commands are recognised by their import declaration).
    host.getSourceFile = (file, language, ...rest) =>
      file.includes(`${sep}node_modules${sep}`) && !file.includes(`${sep}node_modules${sep}typescript${sep}lib${sep}`) ? ts.createSourceFile(file, 'export {};', language) : read(file, language, ...rest);
    this.program = ts.createProgram(
      rootFiles.map((file) => join(repoRoot, file)),
      options,
      host,
    );
    this.checker = this.program.getTypeChecker();
  }

  sourceFile(file: string): ts.SourceFile {
    const found = this.program.getSourceFile(join(this.repoRoot, file));
    if (!found) throw new Error(`${file} is not in the analysed program`);
    return found;
  }

  isRepoCode(node: ts.Node): boolean {
    const file = node.getSourceFile();
    return !file.isDeclarationFile && !file.fileName.includes(`${sep}node_modules${sep}`) && file.fileName.startsWith(this.repoRoot);
  }

  where(node: ts.Node): string {
    const file = node.getSourceFile();
    return `${relative(this.repoRoot, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  }

  relativeFile(node: ts.Node): string {
    return relative(this.repoRoot, node.getSourceFile().fileName);
  }

  /** The declarations a symbol stands for: through imports (aliases) and destructuring of a typed value (`const { f } = await import(...)`). */
  declarationsOf(symbol: ts.Symbol | undefined, seen = new Set<ts.Symbol>()): ts.Declaration[] {
    if (!symbol || seen.has(symbol)) return [];
    seen.add(symbol);
    if (symbol.flags & ts.SymbolFlags.Alias) {
      const aliased = this.checker.getAliasedSymbol(symbol);
      if (aliased && aliased !== symbol && !(aliased.flags & ts.SymbolFlags.Alias && aliased.escapedName === 'unknown')) return this.declarationsOf(aliased, seen);
    }
    const result: ts.Declaration[] = [];
    for (const declaration of symbol.declarations ?? []) {
      if (ts.isBindingElement(declaration) && ts.isObjectBindingPattern(declaration.parent)) {
        const owner = declaration.parent.parent;
        const name = (declaration.propertyName ?? declaration.name).getText();
        if (ts.isVariableDeclaration(owner) && owner.initializer) {
          const property = this.checker.getPropertyOfType(this.checker.getTypeAtLocation(owner.initializer), name);
          const found = this.declarationsOf(property, seen);
          if (found.length > 0) {
            result.push(...found);
            continue;
          }
        }
      }
      result.push(declaration);
    }
    return result.filter((declaration) => this.isRepoCode(declaration));
  }

  /** The import declaration an identifier comes from, when it is imported. */
  importOf(identifier: ts.Identifier): { module: string; name: string } | undefined {
    const symbol = this.checker.getSymbolAtLocation(identifier);
    for (const declaration of symbol?.declarations ?? []) {
      if (ts.isImportSpecifier(declaration)) {
        const importDeclaration = declaration.parent.parent.parent;
        return { module: (importDeclaration.moduleSpecifier as ts.StringLiteral).text, name: (declaration.propertyName ?? declaration.name).text };
      }
    }
    return undefined;
  }
}

const isFunctionLike = (node: ts.Node): node is ts.FunctionLikeDeclaration =>
  ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node);

type Call = ts.CallExpression | ts.NewExpression;

function isInFunction(node: ts.Node): boolean {
  for (let current = node.parent; current && !ts.isSourceFile(current); current = current.parent) if (isFunctionLike(current)) return true;
  return false;
}

/** Everything one principal's code reaches. */
export class Reach {
  /** Nodes whose subtree is reached code. */
  private readonly scanned = new Set<ts.Node>();
  private readonly queue: ts.Node[] = [];
  readonly instantiated = new Set<ts.ClassLikeDeclaration>();
  /** Method names called through an interface (or a type literal). */
  private readonly virtualNames = new Set<string>();
  /** Calls by the declaration they resolve to. */
  readonly calls = new Map<ts.Node, Call[]>();
  /** Calls through interface members, by member name. */
  readonly virtualCalls = new Map<string, Call[]>();
  readonly commandSites: CommandSite[] = [];
  /** `<object>.<name> = <value>` assignments in reached code, by name. */
  readonly assignments = new Map<string, ts.BinaryExpression[]>();

  constructor(
    readonly code: CodeBase,
    roots: ts.Node[],
  ) {
    for (const root of roots) this.enqueue(root);
    while (this.queue.length > 0) this.scan(this.queue.pop()!);
  }

  private enqueue(node: ts.Node | undefined): void {
    if (!node || this.scanned.has(node)) return;
    this.scanned.add(node);
    this.queue.push(node);
  }

  private scan(root: ts.Node): void {
    const visit = (node: ts.Node): void => {
      // A nested function is scanned once, whether reached through its parent or on its own.
      if (node !== root && (isFunctionLike(node) || ts.isClassLike(node))) {
        if (this.scanned.has(node)) return;
        this.scanned.add(node);
      }
      if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) this.reference(node);
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) this.call(node);
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left)) push(this.assignments, node.left.name.text, node);
      ts.forEachChild(node, visit);
    };
    visit(root);
  }

  private reference(identifier: ts.Identifier | ts.PrivateIdentifier): void {
    const symbol = this.code.checker.getSymbolAtLocation(identifier);
    for (const declaration of this.code.declarationsOf(symbol)) this.reachDeclaration(declaration);
  }

  private reachDeclaration(declaration: ts.Declaration): void {
    if (isFunctionLike(declaration)) return this.enqueue(declaration);
    // A module's variable: its initialiser (a local variable's is part of its function, scanned with it).
    if (ts.isVariableDeclaration(declaration)) return isInFunction(declaration) ? undefined : this.enqueue(declaration.initializer);
    if (ts.isPropertyDeclaration(declaration)) return this.enqueue(declaration.initializer);
    if (ts.isPropertyAssignment(declaration)) return this.enqueue(declaration.initializer);
    if (ts.isShorthandPropertyAssignment(declaration)) return this.enqueue(declaration);
  }

  private calleeDeclarations(call: Call): ts.Declaration[] {
    const callee = call.expression;
    const target = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isElementAccessExpression(callee) ? callee.argumentExpression : callee;
    return this.code.declarationsOf(this.code.checker.getSymbolAtLocation(target));
  }

  private call(call: Call): void {
    if (ts.isNewExpression(call) && ts.isIdentifier(call.expression)) {
      const imported = this.code.importOf(call.expression);
      if (imported && imported.module.startsWith('@aws-sdk/client-') && imported.name.endsWith('Command')) {
        const file = call.getSourceFile();
        this.commandSites.push({
          command: imported.name,
          clientPackage: imported.module,
          file: this.code.relativeFile(call),
          line: file.getLineAndCharacterOfPosition(call.getStart()).line + 1,
          node: call,
        });
      }
    }
    for (const declaration of this.calleeDeclarations(call)) {
      push(this.calls, declaration, call);
      if (ts.isClassDeclaration(declaration) || ts.isClassExpression(declaration)) {
        if (ts.isNewExpression(call)) this.instantiate(declaration);
      } else if (ts.isMethodSignature(declaration) || ts.isPropertySignature(declaration)) {
        const name = declaration.name.getText();
        push(this.virtualCalls, name, call);
        this.virtual(name);
      }
    }
  }

  private instantiate(declaration: ts.ClassLikeDeclaration): void {
    if (this.instantiated.has(declaration)) return;
    this.instantiated.add(declaration);
    for (const member of declaration.members) {
      if (ts.isConstructorDeclaration(member)) this.enqueue(member);
      if (ts.isPropertyDeclaration(member)) this.enqueue(member.initializer);
      if (ts.isMethodDeclaration(member) && this.virtualNames.has(member.name.getText())) this.enqueue(member);
    }
    for (const base of this.baseClasses(declaration)) this.instantiate(base);
  }

  private virtual(name: string): void {
    if (this.virtualNames.has(name)) return;
    this.virtualNames.add(name);
    for (const declaration of this.instantiated) {
      for (const member of declaration.members) if (ts.isMethodDeclaration(member) && member.name.getText() === name) this.enqueue(member);
    }
  }

  private baseClasses(declaration: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration[] {
    const bases: ts.ClassLikeDeclaration[] = [];
    for (const clause of declaration.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      for (const type of clause.types) {
        for (const base of this.code.declarationsOf(this.code.checker.getSymbolAtLocation(type.expression))) {
          if (ts.isClassDeclaration(base) || ts.isClassExpression(base)) bases.push(base);
        }
      }
    }
    return bases;
  }

  /** The interfaces a class says it implements (their declarations). */
  implemented(declaration: ts.ClassLikeDeclaration): Set<ts.Node> {
    const interfaces = new Set<ts.Node>();
    for (const clause of declaration.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
      for (const type of clause.types) for (const found of this.code.declarationsOf(this.code.checker.getSymbolAtLocation(type.expression))) interfaces.add(found);
    }
    return interfaces;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface EvaluationContext {
  /** The principal's environment variables (resolved from the template). */
  env: Record<string, string>;
}

/** Abstract evaluation of expressions of one principal's reached code. */
export class Evaluator {
  private readonly active = new Set<ts.Node>();

  constructor(
    readonly reach: Reach,
    readonly context: EvaluationContext,
  ) {}

  private get checker() {
    return this.reach.code.checker;
  }

  evaluate(expression: ts.Expression | undefined): Value[] {
    if (!expression) return [{ kind: 'absent', why: 'no expression' }];
    if (this.active.has(expression)) return [];
    this.active.add(expression);
    try {
      return dedupe(this.evaluateNode(expression));
    } finally {
      this.active.delete(expression);
    }
  }

  private unknown(node: ts.Node, why: string): Value[] {
    return [{ kind: 'unknown', node, why }];
  }

  private evaluateNode(node: ts.Expression): Value[] {
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node) || ts.isAwaitExpression(node) || ts.isSatisfiesExpression(node) || ts.isTypeAssertionExpression(node)) {
      return this.evaluate(node.expression);
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [{ kind: 'str', parts: [node.text] }];
    if (ts.isNumericLiteral(node)) return [{ kind: 'str', parts: [node.text] }];
    if (ts.isTemplateExpression(node)) {
      let results: Part[][] = [[node.head.text]];
      for (const span of node.templateSpans) {
        const values = this.strings(this.evaluate(span.expression), holeName(span.expression));
        results = results.flatMap((prefix) => values.map((parts) => [...prefix, ...parts, span.literal.text]));
      }
      return results.map((parts) => ({ kind: 'str', parts: normalise(parts) }));
    }
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind;
      if (operator === ts.SyntaxKind.PlusToken) {
        const left = this.strings(this.evaluate(node.left), holeName(node.left));
        const right = this.strings(this.evaluate(node.right), holeName(node.right));
        return left.flatMap((a) => right.map((b) => ({ kind: 'str' as const, parts: normalise([...a, ...b]) })));
      }
      if (operator === ts.SyntaxKind.QuestionQuestionToken || operator === ts.SyntaxKind.BarBarToken) {
        const left = this.evaluate(node.left);
        const present = left.filter((value) => value.kind !== 'absent');
        return present.length === left.length ? [...left, ...this.evaluate(node.right)] : [...present, ...this.evaluate(node.right)];
      }
      return this.unknown(node, 'operator');
    }
    if (ts.isConditionalExpression(node)) return [...this.evaluate(node.whenTrue), ...this.evaluate(node.whenFalse)];
    if (ts.isObjectLiteralExpression(node)) return [{ kind: 'obj', node }];
    if (ts.isArrayLiteralExpression(node)) return [{ kind: 'arr', node }];
    if (ts.isIdentifier(node)) {
      if (node.text === 'undefined') return [{ kind: 'absent', why: 'undefined' }];
      return this.identifier(node);
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) return this.property(node);
    if (ts.isCallExpression(node)) return this.callResult(node);
    return this.unknown(node, ts.SyntaxKind[node.kind]);
  }

  /** Values as string part lists; a non-string becomes one hole. */
  private strings(values: Value[], hole: string): Part[][] {
    const result = values.flatMap((value): Part[][] => (value.kind === 'str' ? [value.parts] : value.kind === 'absent' ? [] : [[{ hole }]]));
    return result.length > 0 ? result : [[{ hole }]];
  }

  private identifier(node: ts.Identifier): Value[] {
    const symbol = this.checker.getSymbolAtLocation(node);
    if (!symbol) return this.unknown(node, 'no symbol');
    if (isProcessEnvSymbol(symbol)) return [{ kind: 'unknown', node, why: 'the whole environment' }];
    const declarations = this.reach.code.declarationsOf(symbol);
    if (declarations.length === 0) return this.unknown(node, 'declared outside the repository');
    return declarations.flatMap((declaration) => this.declarationValue(declaration, node));
  }

  private declarationValue(declaration: ts.Declaration, use: ts.Node): Value[] {
    if (ts.isVariableDeclaration(declaration)) {
      const list = declaration.parent;
      if (ts.isVariableDeclarationList(list) && ts.isForOfStatement(list.parent)) return this.elementsOf(this.evaluate(list.parent.expression), use);
      if (!declaration.initializer) return this.unknown(use, 'variable without initialiser');
      return this.evaluate(declaration.initializer);
    }
    if (ts.isParameter(declaration)) return this.parameter(declaration, use);
    if (ts.isBindingElement(declaration)) return this.binding(declaration, use);
    if (ts.isPropertyAssignment(declaration)) return this.evaluate(declaration.initializer);
    if (ts.isShorthandPropertyAssignment(declaration)) return this.shorthand(declaration);
    if (ts.isPropertyDeclaration(declaration)) return declaration.initializer ? this.evaluate(declaration.initializer) : this.unknown(use, 'field without initialiser');
    if (ts.isEnumMember(declaration)) return declaration.initializer ? this.evaluate(declaration.initializer) : this.unknown(use, 'enum member');
    return this.unknown(use, ts.SyntaxKind[declaration.kind]);
  }

  private shorthand(property: ts.ShorthandPropertyAssignment): Value[] {
    const symbol = this.checker.getShorthandAssignmentValueSymbol(property);
    const declarations = this.reach.code.declarationsOf(symbol);
    if (declarations.length === 0) return this.unknown(property, 'shorthand value declared outside the repository');
    return declarations.flatMap((declaration) => this.declarationValue(declaration, property.name));
  }

  /** Elements of a collection value (keys listed from the store). */
  private elementsOf(values: Value[], use: ts.Node): Value[] {
    return values.flatMap((value): Value[] => (value.kind === 'keys' ? [{ kind: 'str', parts: value.parts }] : value.kind === 'arr' ? value.node.elements.flatMap((element) => this.evaluate(element as ts.Expression)) : this.unknown(use, 'element of an unknown collection')));
  }

  private parameter(parameter: ts.ParameterDeclaration, use: ts.Node): Value[] {
    const fn = parameter.parent;
    const index = fn.parameters.indexOf(parameter);
    // A callback over a collection: `keys.map((key) => …)`.
    if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isCallExpression(fn.parent) && fn.parent.arguments.includes(fn)) {
      const callee = fn.parent.expression;
      if (ts.isPropertyAccessExpression(callee) && COLLECTION_METHODS.has(callee.name.text) && index === 0) return this.elementsOf(this.evaluate(callee.expression), use);
      return this.unknown(use, 'parameter of a callback');
    }
    const sites = this.callSites(fn);
    if (sites.length === 0) return parameter.initializer ? this.evaluate(parameter.initializer) : this.unknown(use, 'parameter of a function no reached code calls');
    return sites.flatMap((call) => {
      const argument = call.arguments?.[index];
      if (argument === undefined) return parameter.initializer ? this.evaluate(parameter.initializer) : [{ kind: 'absent', why: 'argument not passed' } as Value];
      if (ts.isSpreadElement(argument)) return this.unknown(argument, 'spread argument');
      return this.evaluate(argument);
    });
  }

  /** Reached calls of a function-like (through interface members for class methods). */
  private callSites(fn: ts.SignatureDeclaration): Call[] {
    const sites: Call[] = [...(this.reach.calls.get(fn) ?? [])];
    if (ts.isConstructorDeclaration(fn)) sites.push(...(this.reach.calls.get(fn.parent) ?? []).filter(ts.isNewExpression));
    if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent)) sites.push(...(this.reach.calls.get(fn.parent) ?? []));
    if (ts.isMethodDeclaration(fn) && ts.isClassLike(fn.parent)) {
      const name = fn.name.getText();
      const interfaces = this.reach.implemented(fn.parent);
      for (const call of this.reach.virtualCalls.get(name) ?? []) {
        const owners = this.calleeOwners(call);
        if (owners.some((owner) => interfaces.has(owner))) sites.push(call);
      }
    }
    return sites;
  }

  private calleeOwners(call: Call): ts.Node[] {
    const callee = call.expression;
    const name = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
    return this.reach.code.declarationsOf(this.checker.getSymbolAtLocation(name)).map((declaration) => declaration.parent);
  }

  private binding(element: ts.BindingElement, use: ts.Node): Value[] {
    const pattern = element.parent;
    const name = (element.propertyName ?? element.name).getText();
    if (!ts.isObjectBindingPattern(pattern)) return this.unknown(use, 'array destructuring');
    const owner = pattern.parent;
    const source = ts.isVariableDeclaration(owner) ? (owner.initializer ? this.evaluate(owner.initializer) : this.unknown(use, 'no initialiser')) : ts.isParameter(owner) ? this.parameter(owner, use) : this.unknown(use, 'binding');
    const values = source.flatMap((value) => this.member(value, name, use));
    return values.length > 0 || !element.initializer ? values : this.evaluate(element.initializer);
  }

  /** A named member of a value. */
  member(value: Value, name: string, use: ts.Node): Value[] {
    if (value.kind === 'obj') return this.objectProperty(value.node, name, use);
    if (value.kind === 'absent') return [value];
    if (value.kind === 'unknown') return this.unknown(use, `member ${name} of ${value.why}`);
    return this.unknown(use, `member ${name} of a ${value.kind}`);
  }

  private objectProperty(object: ts.ObjectLiteralExpression, name: string, use: ts.Node): Value[] {
    const values: Value[] = [];
    let found = false;
    for (const property of object.properties) {
      if (ts.isSpreadAssignment(property)) {
        for (const spread of this.evaluate(property.expression)) if (spread.kind === 'obj') values.push(...this.objectProperty(spread.node, name, use).filter((value) => value.kind !== 'absent'));
        continue;
      }
      if (!property.name || propertyName(property.name) !== name) continue;
      found = true;
      values.length = 0;
      if (ts.isPropertyAssignment(property)) values.push(...this.evaluate(property.initializer));
      else if (ts.isShorthandPropertyAssignment(property)) values.push(...this.shorthand(property));
      else values.push(...this.unknown(property, 'method'));
    }
    // Set later through a reference to this very object: `held.lease = …`.
    for (const assignment of this.reach.assignments.get(name) ?? []) {
      const target = (assignment.left as ts.PropertyAccessExpression).expression;
      if (target.kind === ts.SyntaxKind.ThisKeyword) continue;
      if (this.evaluate(target).some((value) => value.kind === 'obj' && value.node === object)) {
        found = true;
        values.push(...this.evaluate(assignment.right));
      }
    }
    return found || values.length > 0 ? values : [{ kind: 'absent', why: `no ${name}` }];
  }

  private property(node: ts.PropertyAccessExpression | ts.ElementAccessExpression): Value[] {
    const name = ts.isPropertyAccessExpression(node) ? [{ kind: 'str', parts: [node.name.text] } as Value] : this.evaluate(node.argumentExpression);
    if (isProcessEnv(node.expression, this.checker, this.reach.code)) {
      return name.flatMap((value) => (value.kind === 'str' && value.parts.every((part) => typeof part === 'string') ? this.environment(value.parts.join(''), node, false) : this.unknown(node, 'environment variable of unknown name')));
    }
    if (node.expression.kind === ts.SyntaxKind.ThisKeyword && ts.isPropertyAccessExpression(node)) return this.thisMember(node);
    const owners = this.evaluate(node.expression);
    return name.flatMap((key) => (key.kind === 'str' && key.parts.every((part) => typeof part === 'string') ? owners.flatMap((owner) => this.member(owner, key.parts.join(''), node)) : this.unknown(node, 'computed member')));
  }

  /** `this.name`: constructor parameter properties, field initialisers and `this.name = …` assignments of the class. */
  private thisMember(node: ts.PropertyAccessExpression): Value[] {
    const name = node.name.text;
    let cls: ts.Node | undefined = node.parent;
    while (cls && !ts.isClassLike(cls)) cls = cls.parent;
    if (!cls || !ts.isClassLike(cls)) return this.unknown(node, 'this outside a class');
    const values: Value[] = [];
    for (const member of cls.members) {
      if (ts.isConstructorDeclaration(member)) {
        for (const parameter of member.parameters) {
          if (ts.getModifiers(parameter)?.length && parameter.name.getText() === name) values.push(...this.parameter(parameter, node));
        }
      }
      if (ts.isPropertyDeclaration(member) && member.name.getText() === name && member.initializer) values.push(...this.evaluate(member.initializer));
    }
    const visit = (child: ts.Node): void => {
      if (
        ts.isBinaryExpression(child) &&
        child.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(child.left) &&
        child.left.expression.kind === ts.SyntaxKind.ThisKeyword &&
        child.left.name.text === name
      ) {
        values.push(...this.evaluate(child.right));
      }
      ts.forEachChild(child, visit);
    };
    ts.forEachChild(cls, visit);
    return values.length > 0 ? values : this.unknown(node, `this.${name}`);
  }

  private environment(name: string, node: ts.Node, required: boolean): Value[] {
    const value = this.context.env[name];
    if (value !== undefined) return [{ kind: 'str', parts: [value] }];
    return required ? this.unknown(node, `required environment variable ${name} is not set for this principal`) : [{ kind: 'absent', why: `environment variable ${name} is not set` }];
  }

  private callResult(call: ts.CallExpression): Value[] {
    const callee = call.expression;
    const declarations = this.reach.code.declarationsOf(this.checker.getSymbolAtLocation(ts.isPropertyAccessExpression(callee) ? callee.name : callee));
    // requireEnv('X') / optionalEnv('X') of lib/adapters/aws/lambda-environment.ts.
    const envReader = declarations.find((declaration) => ts.isFunctionDeclaration(declaration) && /(require|optional)Env$/.test(declaration.name?.text ?? '') && this.reach.code.relativeFile(declaration).endsWith('lambda-environment.ts')) as ts.FunctionDeclaration | undefined;
    if (envReader) {
      const required = envReader.name!.text === 'requireEnv';
      return this.evaluate(call.arguments[0]).flatMap((value) => (value.kind === 'str' && value.parts.every((part) => typeof part === 'string') ? this.environment(value.parts.join(''), call, required) : this.unknown(call, 'environment variable of unknown name')));
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const method = callee.name.text;
      if (STORE_METHODS.has(method) && method === 'list' && declarations.some((declaration) => isStoreMember(declaration))) {
        return this.strings(this.evaluate(call.arguments[0]), 'prefix').map((parts) => ({ kind: 'keys', parts: normalise([...parts, { hole: 'listed' }]) }));
      }
      if (PASS_THROUGH_METHODS.has(method)) {
        const receiver = this.evaluate(callee.expression);
        if (receiver.every((value) => value.kind === 'str' || value.kind === 'keys' || value.kind === 'absent')) return receiver;
      }
    }
    const functions = declarations.flatMap((declaration) =>
      isFunctionLike(declaration) ? [declaration] : ts.isVariableDeclaration(declaration) && declaration.initializer && isFunctionLike(declaration.initializer) ? [declaration.initializer] : [],
    );
    if (functions.length === 0) return this.unknown(call, 'the result of a call outside the repository');
    return functions.flatMap((fn) => {
      const results = returnedExpressions(fn).flatMap((expression) => this.evaluate(expression));
      // What a function returns from data the analysis cannot follow is named by the call.
      return results.map((value) => (value.kind === 'unknown' ? { kind: 'unknown' as const, node: call, why: `returns ${value.why}` } : value));
    });
  }
}

function returnedExpressions(fn: ts.FunctionLikeDeclaration): ts.Expression[] {
  if (!fn.body) return [];
  if (!ts.isBlock(fn.body)) return [fn.body];
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) found.push(node.expression);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  return found;
}

function isStoreMember(declaration: ts.Node): boolean {
  const owner = declaration.parent;
  if (ts.isInterfaceDeclaration(owner)) return owner.name.text === 'ArtifactStore';
  if (ts.isClassDeclaration(owner)) return (owner.heritageClauses ?? []).some((clause) => clause.types.some((type) => type.expression.getText() === 'ArtifactStore'));
  return false;
}

function isProcessEnvSymbol(symbol: ts.Symbol): boolean {
  return symbol.declarations?.some((declaration) => (ts.isParameter(declaration) || ts.isVariableDeclaration(declaration)) && isProcessEnvDeclaration(declaration)) ?? false;
}

function isProcessEnvDeclaration(declaration: ts.ParameterDeclaration | ts.VariableDeclaration): boolean {
  return Boolean(declaration.type?.getText().includes('ProcessEnv') || declaration.initializer?.getText() === 'process.env');
}

function isProcessEnv(expression: ts.Expression, checker: ts.TypeChecker, code: CodeBase): boolean {
  if (expression.getText() === 'process.env') return true;
  if (!ts.isIdentifier(expression)) return false;
  const symbol = checker.getSymbolAtLocation(expression);
  if (!symbol) return false;
  return (symbol.declarations ?? []).some((declaration) => code.isRepoCode(declaration) && (ts.isParameter(declaration) || ts.isVariableDeclaration(declaration)) && isProcessEnvDeclaration(declaration));
}

function propertyName(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name) ? name.text : name.getText();
}

/** A hole's name: the last identifier of the expression (`scope.org` → `org`, `request.runId` → `runId`). */
function holeName(expression: ts.Expression): string {
  const text = expression.getText().replace(/\?\./g, '.').replace(/[!()]/g, '');
  const match = /([A-Za-z_$][\w$]*)\s*$/.exec(text.split(/[^\w$.]/).filter(Boolean).pop() ?? '');
  return match?.[1] ?? 'value';
}

function normalise(parts: Part[]): Part[] {
  const result: Part[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const last = result[result.length - 1];
    if (typeof part === 'string' && typeof last === 'string') result[result.length - 1] = last + part;
    else result.push(part);
  }
  return result;
}

export function showParts(parts: Part[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : `{${part.hole}}`)).join('');
}

function dedupe(values: Value[]): Value[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key =
      value.kind === 'str' || value.kind === 'keys'
        ? `${value.kind}:${showParts(value.parts)}`
        : value.kind === 'obj' || value.kind === 'arr'
          ? `${value.kind}:${value.node.pos}:${value.node.getSourceFile().fileName}`
          : value.kind === 'unknown'
            ? `unknown:${value.node.getSourceFile().fileName}:${value.node.pos}`
            : `absent:${value.why}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every `new <Name>Command(` in the TypeScript files under a directory, read as text. */
export function commandsInSources(repoRoot: string, directory: string): { command: string; file: string; line: number }[] {
  const found: { command: string; file: string; line: number }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) {
        const lines = readFileSync(path, 'utf8').split('\n');
        lines.forEach((line, index) => {
          for (const match of line.matchAll(/\bnew\s+([A-Z][A-Za-z0-9]*Command)\s*\(/g)) found.push({ command: match[1]!, file: relative(repoRoot, path), line: index + 1 });
        });
      }
    }
  };
  walk(join(repoRoot, directory));
  return found;
}
