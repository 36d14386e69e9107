import { startServer } from './test/harness.ts';
const ts = await startServer();
const { users, conversations, audit } = ts.server.internals;
const { createRosterImport } = await import('./src/services/roster-import.ts');
const { createPasswordLinks } = await import('./src/storage/password-links.ts');
const r = createRosterImport({
  db: ts.server.db,
  users,
  conversations,
  audit,
  links: createPasswordLinks(ts.server.db, Date.now),
  revokeConversation: () => {},
  notify: () => {},
});
const lines = ['name,email,role,cohorts'];
for (let i = 0; i < 20000; i++)
  lines.push(`Roster Person ${i},roster${i}@college.test,student,level2-it-skills;bio-l3`);
const csv = lines.join('\n');
const actor = { id: users.findByLogin('admin@college.test')!.id, role: 'super_admin' as const };
for (let k = 0; k < 2; k++) {
  const t = performance.now();
  const p = r.preview(actor, csv);
  console.log('preview', (performance.now() - t).toFixed(0), p.counts);
}
let t = performance.now();
const p = r.preview(actor, csv);
t = performance.now();
const o = r.commit(actor, csv, p.digest, { links: false });
console.log('commit', (performance.now() - t).toFixed(0), o.created);
t = performance.now();
const p2 = r.preview(actor, csv);
console.log('re-preview', (performance.now() - t).toFixed(0), p2.counts);
t = performance.now();
JSON.stringify(p2);
console.log('json', (performance.now() - t).toFixed(0));
await ts.destroy();
