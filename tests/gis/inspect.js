#!/usr/bin/env node
// JSON side of tests/gis/run.sh (node is on every machine that builds clients/web).
//   node inspect.js matched ITEMS.json          numberMatched
//   node inspect.js ids ITEMS.json              every feature id, one a line
//   node inspect.js summary ITEMS.json QUERYABLES.json
//        lines "key value": matched, returned, nullgeom, geom TYPE COUNT, and for each
//        property the queryables declare {"format": "date"}:
//        "date NAME NONNULL NOT_FULL_DATE FIRST_BAD_VALUE"
//   node inspect.js dateprops QUERYABLES.json  names of the properties declared format date
//   node inspect.js check FILE...              RFC 7946 issues (@placemarkio/check-geojson);
//        prints "FILE: N issues" and the first few; exit 1 if any file has one
'use strict';
const fs = require('fs');
const path = require('path');

const [cmd, ...args] = process.argv.slice(2);
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/; // RFC 3339 full-date, what JSON Schema "date" means

function dateProps(q) {
  return Object.entries(q.properties || {})
    .filter(([, s]) => s && s.format === 'date')
    .map(([name]) => name);
}

switch (cmd) {
  case 'matched':
    console.log(read(args[0]).numberMatched);
    break;
  case 'ids':
    for (const f of read(args[0]).features) console.log(f.id);
    break;
  case 'dateprops':
    for (const name of dateProps(read(args[0]))) console.log(name);
    break;
  case 'summary': {
    const fc = read(args[0]);
    const q = read(args[1]);
    const out = [];
    out.push(`matched ${fc.numberMatched}`);
    out.push(`returned ${fc.numberReturned}`);
    out.push(`features ${fc.features.length}`);
    const types = {};
    let nullgeom = 0;
    for (const f of fc.features) {
      if (f.geometry === null) nullgeom++;
      else types[f.geometry.type] = (types[f.geometry.type] || 0) + 1;
    }
    out.push(`nullgeom ${nullgeom}`);
    for (const [t, n] of Object.entries(types)) out.push(`geom ${t} ${n}`);
    for (const name of dateProps(q)) {
      let nonnull = 0;
      let bad = 0;
      let firstBad = '-';
      for (const f of fc.features) {
        const v = f.properties[name];
        if (v === null || v === undefined) continue;
        nonnull++;
        if (typeof v !== 'string' || !FULL_DATE.test(v)) {
          if (bad === 0) firstBad = JSON.stringify(v);
          bad++;
        }
      }
      out.push(`date ${name} ${nonnull} ${bad} ${firstBad}`);
    }
    console.log(out.join('\n'));
    break;
  }
  case 'check': {
    const { getIssues } = require(path.join(__dirname, 'node_modules', '@placemarkio', 'check-geojson'));
    let any = false;
    for (const file of args) {
      const issues = getIssues(fs.readFileSync(file, 'utf8'));
      console.log(`${file}: ${issues.length} issues`);
      for (const i of issues.slice(0, 5)) console.log(`  ${JSON.stringify(i)}`);
      if (issues.length) any = true;
    }
    process.exit(any ? 1 : 0);
  }
  // falls through (unreachable)
  default:
    console.error('usage: inspect.js matched|ids|summary|dateprops|check ...');
    process.exit(2);
}
