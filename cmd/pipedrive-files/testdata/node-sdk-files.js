#!/usr/bin/env node
// The official Node SDK (npm package pipedrive, 33.7.0: v1 FilesApi) against
// `pipedrive-files serve-fake`, as a user would call it: getFiles, getFile, updateFile and
// deleteFile, after linking two files with linkFileToItem. It prints one line per call:
// what was called and what came back (or the error), and exits 1 if anything differs
// from what Pipedrive documents.
//
//   eval "$(pipedrive-files serve-fake 2>fake.log &)"; export PIPEDRIVE_BASE_URL PIPEDRIVE_API_TOKEN
//   npm install pipedrive@33.7.0   # or NODE_PATH=/path/to/node_modules
//   node cmd/pipedrive-files/testdata/node-sdk-files.js
'use strict';

const { Configuration, FilesApi } = require('pipedrive/v1');

const base = process.env.PIPEDRIVE_BASE_URL;
const token = process.env.PIPEDRIVE_API_TOKEN;
if (!base || !token) {
  process.stderr.write('node-sdk-files.js: set PIPEDRIVE_BASE_URL and PIPEDRIVE_API_TOKEN (pipedrive-files serve-fake prints both)\n');
  process.exit(2);
}
const api = new FilesApi(new Configuration({ apiKey: token, basePath: base }));

let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures++;
    console.log(`  FAILED: ${what}`);
  }
}

// brief is the part of a file worth printing.
function brief(f) {
  return { id: f.id, name: f.name, description: f.description, remote_id: f.remote_id, remote_location: f.remote_location,
    active_flag: f.active_flag, deal_id: f.deal_id, person_id: f.person_id, update_time: f.update_time };
}

// call runs one SDK call and prints it and its answer; a rejection is printed as the SDK
// gives it: on an HTTP error the SDK rejects with the bare response body (no status, no
// headers), anything else with an Error.
async function call(label, fn) {
  try {
    const r = await fn();
    const shown = Array.isArray(r.data) ? r.data.map(brief) : (r.data && r.data.name !== undefined ? brief(r.data) : r.data);
    console.log(`${label} -> success=${r.success} data=${JSON.stringify(shown)}` +
      (r.additional_data ? ` pagination=${JSON.stringify(r.additional_data.pagination)}` : ''));
    return r;
  } catch (e) {
    const body = e instanceof Error ? `${e.name}: ${e.message}` : e;
    console.log(`${label} -> rejected with ${JSON.stringify(body)}`);
    return { rejected: true, body };
  }
}

(async () => {
  const a = await call("linkFileToItem({item_type:'person', item_id:5, remote_id:'123magicfile123', remote_location:'googledrive'})",
    () => api.linkFileToItem({ item_type: 'person', item_id: 5, remote_id: '123magicfile123', remote_location: 'googledrive' }));
  const b = await call("linkFileToItem({item_type:'deal', item_id:13, remote_id:'123magicfile123', remote_location:'googledrive'})",
    () => api.linkFileToItem({ item_type: 'deal', item_id: 13, remote_id: '123magicfile123', remote_location: 'googledrive' }));
  check(a.success && b.success, 'both links succeed');
  const id = b.data.id;

  let r = await call('getFiles()', () => api.getFiles());
  check(r.success && r.data.length >= 2, 'getFiles lists the files');
  r = await call("getFiles({start: 0, limit: 1, sort: 'id DESC'})", () => api.getFiles({ start: 0, limit: 1, sort: 'id DESC' }));
  check(r.success && r.data.length === 1 && r.data[0].id === id && r.additional_data.pagination.more_items_in_collection === true, 'a page of one, newest first');
  r = await call("getFiles({sort: 'update_time DESC, id ASC'})", () => api.getFiles({ sort: 'update_time DESC, id ASC' }));
  check(r.success, 'every documented sort is accepted');

  r = await call(`getFile({id: ${id}})`, () => api.getFile({ id }));
  check(r.success && r.data.id === id && r.data.remote_id === '123magicfile123', 'getFile returns the file');

  r = await call(`updateFile({id: ${id}, name: 'Price list for Globex', description: 'Q3 & Q4'})`,
    () => api.updateFile({ id, name: 'Price list for Globex', description: 'Q3 & Q4' }));
  check(r.success && r.data.name === 'Price list for Globex' && r.data.description === 'Q3 & Q4', 'updateFile renames and describes');
  r = await call(`updateFile({id: ${id}, description: ''})`, () => api.updateFile({ id, description: '' }));
  check(r.success && r.data.name === 'Price list for Globex' && r.data.description === '', 'an empty description clears it, the name stays');
  r = await call(`updateFile({id: ${id}})`, () => api.updateFile({ id }));
  check(r.success && r.data.name === 'Price list for Globex', 'an update with no field changes nothing');

  r = await call(`deleteFile({id: ${id}})`, () => api.deleteFile({ id }));
  check(r.success && r.data.id === id, 'deleteFile answers the id');
  r = await call(`deleteFile({id: ${id}}) again`, () => api.deleteFile({ id }));
  check(r.success, 'a second delete is answered 200');
  r = await call(`getFile({id: ${id}})`, () => api.getFile({ id }));
  check(r.success && r.data.active_flag === false, 'a deleted file is still found, active_flag false');
  r = await call('getFiles()', () => api.getFiles());
  check(r.success && r.data.every((f) => f.id !== id), 'the lists leave the deleted file out');

  r = await call('getFile({id: 999})', () => api.getFile({ id: 999 }));
  check(r.rejected && r.body.success === false && r.body.errorCode === 404, 'an unknown file is refused, errorCode 404');
  r = await call("getFiles({limit: 500})", () => api.getFiles({ limit: 500 }));
  check(r.rejected && r.body.errorCode === 400 && /limit/.test(r.body.error), 'a limit above 100 is refused, errorCode 400, naming limit');

  console.log(failures === 0 ? 'all as documented' : `${failures} unexpected`);
  process.exit(failures === 0 ? 0 : 1);
})();
