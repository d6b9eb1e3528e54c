// Frozen in time: this file never imports the application and never changes once released.
//
// Old runs can be pruned while the rows they loaded stay. The event tables keep the id of the run that loaded
// each row as a plain number, no longer a foreign key: deleting a run would otherwise check (or update) the
// whole event table, which has no index on run_id. A run's own records go with it (stream runs and rejects
// cascade, as client listings already did), and a stream whose last run is deleted keeps its row with
// last_run_id null. The retention of the job deletes those records first, in small batches, and keeps every
// run something still points to; the cascades only make a hand-made delete of a run possible.
//
// Cost on a large warehouse: dropping a foreign key and re-adding it NOT VALID take a brief exclusive lock and
// read no row (the rows were checked by the constraint replaced; `alter table … validate constraint …` checks
// them again later, under a lock that lets writes go on). The index on sync.rejects (run_id) is built in the
// migration's transaction: writes to sync.rejects wait for it (seconds for millions of rows).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table altcraft.campaign_log drop constraint campaign_log_run_id_fkey;
    alter table yandex_direct.events drop constraint events_run_id_fkey;
    comment on column altcraft.campaign_log.run_id is 'Run that loaded the row (sync.runs.run_id; not a foreign key: the row stays when old runs are pruned, and the run may then be gone from sync.runs)';
    comment on column yandex_direct.events.run_id is 'Run that loaded the row (sync.runs.run_id; not a foreign key: the row stays when old runs are pruned, and the run may then be gone from sync.runs)';

    alter table sync.stream_runs drop constraint stream_runs_run_id_fkey,
      add constraint stream_runs_run_id_fkey foreign key (run_id) references sync.runs (run_id) on delete cascade not valid;
    alter table sync.rejects drop constraint rejects_run_id_fkey,
      add constraint rejects_run_id_fkey foreign key (run_id) references sync.runs (run_id) on delete cascade not valid;
    create index rejects_run_idx on sync.rejects (run_id);
    alter table sync.streams drop constraint streams_last_run_id_fkey,
      add constraint streams_last_run_id_fkey foreign key (last_run_id) references sync.runs (run_id) on delete set null;

    comment on table sync.runs is 'One row per run: one invocation of eventlog-sync that syncs many streams. Kept for retention.runs, and longer while a stream run, reject or client listing of it is kept, a stream''s last_run_id or an open gap points to it, or it is running';
    comment on table sync.stream_runs is 'What one run did for one stream. Kept for retention.streamRuns; the newest that is not skipped of each stream always stays';
    comment on table sync.rejects is 'Records from an API that failed validation, with the reason. Kept for retention.rejects (counted from the start of the run that received them)';
    comment on column sync.streams.last_run_id is 'Last run that synced the stream (kept while it points to it)';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sync.streams drop constraint streams_last_run_id_fkey,
      add constraint streams_last_run_id_fkey foreign key (last_run_id) references sync.runs (run_id);
    drop index sync.rejects_run_idx;
    alter table sync.rejects drop constraint rejects_run_id_fkey,
      add constraint rejects_run_id_fkey foreign key (run_id) references sync.runs (run_id) not valid;
    alter table sync.stream_runs drop constraint stream_runs_run_id_fkey,
      add constraint stream_runs_run_id_fkey foreign key (run_id) references sync.runs (run_id) not valid;
    -- Event rows of runs pruned since keep their run id; the constraint holds for new rows only.
    alter table yandex_direct.events add constraint events_run_id_fkey foreign key (run_id) references sync.runs (run_id) not valid;
    alter table altcraft.campaign_log add constraint campaign_log_run_id_fkey foreign key (run_id) references sync.runs (run_id) not valid;
    comment on column altcraft.campaign_log.run_id is 'Run that loaded the row';
    comment on column yandex_direct.events.run_id is 'Run that loaded the row';
    comment on table sync.runs is 'One row per run: one invocation of eventlog-sync that syncs many streams';
    comment on table sync.stream_runs is 'What one run did for one stream';
    comment on table sync.rejects is 'Records from an API that failed validation: kept with the reason, never dropped';
    comment on column sync.streams.last_run_id is 'Last run that synced the stream';
  `.execute(db);
}
