// Evaluates corpus.json's expressions in the two ODK engines and writes results.json, which
// tests/unit/survey/test_odk_engines.py compares with fieldapp's engine (no npm needed there).
// Set up with ./regenerate.sh, which installs the engines into a temporary folder and runs this.
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.ENGINES_DIR;
const require = createRequire(path.join(modules, 'package.json'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('');
for (const name of ['window', 'document', 'XPathResult', 'XPathEvaluator', 'Node', 'Element',
  'Document', 'Attr', 'DOMParser', 'XMLDocument']) {
  globalThis[name] = name === 'window' ? dom.window : dom.window[name];
}
// @getodk/xpath's bundled tree-sitter loader expects CommonJS globals
globalThis.__dirname = path.join(modules, 'node_modules/@getodk/xpath/dist');
globalThis.require = require;

const corpus = JSON.parse(fs.readFileSync(path.join(here, 'corpus.json'), 'utf8'));
const xml = new DOMParser().parseFromString(corpus.instance, 'text/xml');
const odk = await import(path.join(modules, 'node_modules/@getodk/xpath/dist/index.js'));
const webForms = new odk.XFormsXPathEvaluator({
  rootNode: xml, domAdapter: odk.DEFAULT_DOM_ADAPTER,
  itextTranslationsByLanguage: new Map(), secondaryInstancesById: new Map(),
});
const enketo = require('openrosa-xpath-evaluator')();

function typed(result) {
  switch (result.resultType) {
    case XPathResult.NUMBER_TYPE: return { type: 'number', value: numberText(result.numberValue) };
    case XPathResult.STRING_TYPE: return { type: 'string', value: result.stringValue };
    case XPathResult.BOOLEAN_TYPE: return { type: 'boolean', value: result.booleanValue };
    default: {
      const first = result.iterateNext ? result.iterateNext() : null;
      return { type: 'nodeset', value: first ? first.textContent : '' };
    }
  }
}

function numberText(x) {  // JSON has no NaN or Infinity
  return Number.isFinite(x) ? x : String(x);
}

function run(evaluate, expr) {
  try {
    return typed(evaluate(expr));
  } catch (err) {
    return { type: 'error', value: String(err && err.message || err).split('\n')[0].slice(0, 200) };
  }
}

const results = {};
for (const expr of corpus.expressions) {
  results[expr] = {
    'odk-web-forms': run((e) => webForms.evaluate(e, xml.documentElement, null,
      XPathResult.ANY_TYPE), expr),
    enketo: run((e) => enketo.evaluate(e, xml.documentElement, null, XPathResult.ANY_TYPE), expr),
  };
}
const out = {
  engines: {
    'odk-web-forms': '@getodk/xpath ' + JSON.parse(fs.readFileSync(path.join(modules,
      'node_modules/@getodk/xpath/package.json'))).version,
    enketo: 'openrosa-xpath-evaluator ' + JSON.parse(fs.readFileSync(path.join(modules,
      'node_modules/openrosa-xpath-evaluator/package.json'))).version,
  },
  results,
};
fs.writeFileSync(path.join(here, 'results.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`${corpus.expressions.length} expressions evaluated in both engines`);
