// Frozen in time: this file never imports the application and never changes once released.
//
// sync.stream_runs.pages counted the batches a stream run stored (one per transaction), not the API's
// responses: a batch may hold several pages (a Yandex.Direct window read by splits or Offset pages, an
// Altcraft page with its follow-ups). The column is renamed to say what it counts. No view selects it.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sync.stream_runs rename column pages to batches;
    comment on column sync.stream_runs.batches is 'Batches stored, each in its own transaction (one batch holds one or more API responses)';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sync.stream_runs rename column batches to pages;
    comment on column sync.stream_runs.pages is 'Pages (API responses) loaded';
  `.execute(db);
}
