// Frozen in time: this file never imports the application and never changes once released.
//
// A Yandex.Direct client discovered with upper-case letters in its login got a stream keyed by the login in
// lower case while its rows kept the listing's spelling, so sync.stream_freshness (which joins the rows on
// the stream key) showed no newest event for it. Rows are now stored under the stream key; this brings the
// rows loaded before into line. Logins are case-insensitive at Yandex and event keys do not include the
// login, so nothing else changes. It reads the event table once.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    update yandex_direct.events e
       set login = s.stream_key
      from sync.streams s
     where s.source = 'yandex_direct' and e.account = s.account
       and lower(e.login) = s.stream_key and e.login <> s.stream_key`.execute(db);
}

/** The listing's spelling is not kept anywhere else: the rows stay under their stream key. */
export async function down(): Promise<void> {}
