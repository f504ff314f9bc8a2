import { parseAllDocuments } from 'yaml';
import fs from 'node:fs';
const srcs = {
 b3812: fs.readFileSync('/work/shared/conformance/kustomize/cases/basic_io__TestBasicIO3812/input/service.yaml','utf8'),
 html: `<!DOCTYPE html>\n<html class="html-devise-layout ui-light-gray" lang="en">\n<head prefix="og: http://ogp.me/ns#">\n<meta charset="utf-8">\n`,
 kv: `a: b: c\n`,
 tab: `a:\n\tb: c\n`,
 unclosed: `a: [1, 2\n`,
 alias: `a: *x\n`,
 dq: `a: "x\\q"\n`,
 badindent: `a:\n  b: 1\n c: 2\n`,
};
for (const [k,s] of Object.entries(srcs)) {
  const docs = parseAllDocuments(s, {schema:'failsafe', uniqueKeys:false, prettyErrors:false});
  const d = Array.isArray(docs)? docs[0]: null;
  console.log(k, d && d.errors.map(e=>[e.code, e.message.split('\n')[0], e.linePos]) , d && d.warnings.map(e=>e.code));
}
