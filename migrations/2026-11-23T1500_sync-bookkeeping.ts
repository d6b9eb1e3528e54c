// Frozen in time: this file never imports the application and never changes once released.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create schema sync;
    comment on schema sync is 'Bookkeeping of eventlog-sync: streams and their cursors, runs, per-stream run results, rejected records';

    create table sync.runs (
      run_id bigint generated always as identity primary key,
      command text not null,
      host text not null,
      pid integer not null,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      status text not null default 'running'
        check (status in ('running', 'succeeded', 'partial', 'failed', 'interrupted')),
      error text
    );
    comment on table sync.runs is 'One row per run: one invocation of eventlog-sync that syncs many streams';
    comment on column sync.runs.run_id is 'Run number, increasing';
    comment on column sync.runs.command is 'The command that started the run (sync, daemon, demo)';
    comment on column sync.runs.host is 'Host name of the machine that ran it';
    comment on column sync.runs.pid is 'Process id of the run on that host';
    comment on column sync.runs.started_at is 'When the run started';
    comment on column sync.runs.finished_at is 'When the run ended; null while it runs or if the process died';
    comment on column sync.runs.status is 'running, succeeded (every stream succeeded), partial (some streams partial or failed), failed (the run could not go on), interrupted (stopped by a signal)';
    comment on column sync.runs.error is 'Why the run failed or was interrupted; null otherwise';

    create table sync.streams (
      stream_id bigint generated always as identity primary key,
      source text not null check (source in ('altcraft', 'yandex_direct')),
      account text not null,
      stream_key text not null,
      cursor timestamptz,
      status text not null default 'new'
        check (status in ('new', 'running', 'succeeded', 'partial', 'failed', 'interrupted')),
      last_error text,
      last_run_id bigint references sync.runs (run_id),
      state jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      last_success_at timestamptz,
      unique (source, account, stream_key)
    );
    comment on table sync.streams is 'One row per stream: the unit with its own checkpoint (an Altcraft campaign of an account, a Yandex.Direct login of an account)';
    comment on column sync.streams.stream_id is 'Surrogate key of the stream';
    comment on column sync.streams.source is 'API family: altcraft or yandex_direct';
    comment on column sync.streams.account is 'Account name from the configuration (one set of credentials and endpoint)';
    comment on column sync.streams.stream_key is 'Stream within the account: the Altcraft campaign id, or the Yandex.Direct client login';
    comment on column sync.streams.cursor is 'Position in source time (from_time / TimestampFrom): every event before it is loaded; moved in the same transaction as the rows, only forward; each run re-reads from just before it';
    comment on column sync.streams.status is 'Result of the last run of the stream: new, running, succeeded, partial (stopped by a quota, progress kept), failed, interrupted (stopped by a signal, progress kept)';
    comment on column sync.streams.last_error is 'Error of the last run that did not succeed; null after a success';
    comment on column sync.streams.last_run_id is 'Last run that synced the stream';
    comment on column sync.streams.state is 'Source-specific paging state kept between runs (learned window size, largest page the server returned, polling schedule)';
    comment on column sync.streams.created_at is 'When the stream was first seen';
    comment on column sync.streams.updated_at is 'When the row last changed';
    comment on column sync.streams.last_success_at is 'When a run of the stream last succeeded';

    create table sync.stream_runs (
      run_id bigint not null references sync.runs (run_id),
      stream_id bigint not null references sync.streams (stream_id),
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      status text not null default 'running'
        check (status in ('running', 'succeeded', 'partial', 'failed', 'interrupted', 'skipped')),
      requests integer not null default 0,
      retries integer not null default 0,
      pages integer not null default 0,
      events_fetched bigint not null default 0,
      events_inserted bigint not null default 0,
      events_duplicate bigint not null default 0,
      rejects bigint not null default 0,
      cursor_before timestamptz,
      cursor_after timestamptz,
      completeness_gap bigint,
      error text,
      primary key (run_id, stream_id)
    );
    comment on table sync.stream_runs is 'What one run did for one stream';
    comment on column sync.stream_runs.run_id is 'The run';
    comment on column sync.stream_runs.stream_id is 'The stream';
    comment on column sync.stream_runs.started_at is 'When the stream started in this run';
    comment on column sync.stream_runs.finished_at is 'When the stream ended in this run';
    comment on column sync.stream_runs.status is 'running, succeeded, partial (quota reached, progress kept), failed, interrupted, skipped (another process held the stream)';
    comment on column sync.stream_runs.requests is 'API requests made, retries included';
    comment on column sync.stream_runs.retries is 'API requests that were retries of a failed request';
    comment on column sync.stream_runs.pages is 'Pages (API responses) loaded';
    comment on column sync.stream_runs.events_fetched is 'Events received from the API, duplicates and rejects included';
    comment on column sync.stream_runs.events_inserted is 'Events that were new and inserted';
    comment on column sync.stream_runs.events_duplicate is 'Events skipped because the warehouse already held them';
    comment on column sync.stream_runs.rejects is 'Records that failed validation and went to sync.rejects';
    comment on column sync.stream_runs.cursor_before is 'Cursor of the stream when the run started on it';
    comment on column sync.stream_runs.cursor_after is 'Cursor of the stream when the run ended on it';
    comment on column sync.stream_runs.completeness_gap is 'Events the API reports that the warehouse does not hold (Altcraft total_count minus rows held); null when not measured';
    comment on column sync.stream_runs.error is 'Why the stream failed or was partial in this run';

    create table sync.rejects (
      reject_id bigint generated always as identity primary key,
      stream_id bigint not null references sync.streams (stream_id),
      run_id bigint not null references sync.runs (run_id),
      rejected_at timestamptz not null default now(),
      reason text not null,
      payload jsonb not null
    );
    comment on table sync.rejects is 'Records from an API that failed validation: kept with the reason, never dropped';
    comment on column sync.rejects.reject_id is 'Surrogate key';
    comment on column sync.rejects.stream_id is 'Stream whose page held the record';
    comment on column sync.rejects.run_id is 'Run that received it';
    comment on column sync.rejects.rejected_at is 'When it was rejected';
    comment on column sync.rejects.reason is 'What is wrong with it (field and expectation)';
    comment on column sync.rejects.payload is 'The record exactly as the API sent it';
    create index rejects_stream_idx on sync.rejects (stream_id, rejected_at);
    create index stream_runs_stream_idx on sync.stream_runs (stream_id, started_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop schema sync cascade`.execute(db);
}
