// Opening the queue file: connection settings, the schema and its migrations, and the
// recovery of what a dead owner left leased.
#include "queue/sqlite_queue_impl.hpp"

#include <stdexcept>

namespace flowgate::queue {

namespace {

// Bumped only for changes an older build cannot safely ignore. Added tables and indexes
// (deliveries, work_items_execution) are not such a change: an older build opening the
// file just does not de-duplicate, which is all it ever did. Version 2 moved the messages
// out of work_items (an older build would find none). Version 3 lets a first-step item
// share its execution's message in execution_messages (an older build would find none,
// and its history pruning would delete messages that live items still need). Version 4
// marks the items of paused flows (`paused`): an older build would store new items of a
// paused flow unmarked, and they would run while the flow is paused.
constexpr int kSchemaVersion = 4;

// One table of live items (ready, waiting to retry, or leased) and one of dead letters.
// `available_at_ms` is the only scheduling column: ready means available_at_ms <= now, and
// leasing pushes it to the lease's end, so an expired lease needs no sweeper. `paused` is 1
// while the item's flow is paused: it leads the ready index (work_items_ready), so a take
// never walks past a paused flow's backlog, however long.
// AUTOINCREMENT so an id is never reused: settle matches on (id, lease_token), and a dead
// letter's item id must name one item forever.
// `deliveries` holds enqueueOnce() keys. A row is live while expires_at_ms > now; an
// expired row means nothing and is overwritten by the next use of its key or purged.
// WITHOUT ROWID: the key is the only lookup, so it need not be stored twice.
// A parked item (a step waiting for its execution to be resumed) has a `wait_token` and
// its timeout as `available_at_ms`: a timeout needs no sweeper either.
// An item's message lives in work_item_messages, written when the item is stored and
// rewritten only by a park or a resume: a lease, a retry or a release then rewrites a
// row of ~60 bytes (about 60 to a page) instead of one holding the message (3 to a page
// with 1 KiB messages), and so does every WAL frame and checkpoint copy of that page.
// A first-step item whose message the history keeps whole (execution_messages) has no row
// there: `message_seq` names the execution_messages row instead, so a 1 KiB input is
// written once, not twice (history pruning hands such a message over first, see
// SqliteHistory::prune). `execution_seq` is the execution's history seq and
// `message_bytes` the message's size, so a settle needs no lookup of either.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS work_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id         TEXT    NOT NULL,
    execution_id    TEXT    NOT NULL,
    step_id         TEXT    NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    available_at_ms INTEGER NOT NULL,
    lease_token     INTEGER,
    last_error      TEXT,
    created_at_ms   INTEGER NOT NULL,
    wait_token      TEXT,
    execution_seq   INTEGER,
    message_seq     INTEGER,
    message_bytes   INTEGER NOT NULL DEFAULT 0,
    paused          INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS work_item_messages (
    item_id         INTEGER PRIMARY KEY,
    message         TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    seq             INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL,
    flow_id         TEXT    NOT NULL,
    execution_id    TEXT    NOT NULL,
    step_id         TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    error           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    failed_at_ms    INTEGER NOT NULL,
    created_at_ms   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    key             TEXT    PRIMARY KEY,
    execution_id    TEXT    NOT NULL,
    expires_at_ms   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_expires ON deliveries (expires_at_ms);
)sql";

// Run after kSchema: files made before items could wait lack the column (an older build
// ignores it, so the schema version stays).
constexpr const char* kWaitingIndex =
    "CREATE INDEX IF NOT EXISTS work_items_waiting ON work_items (execution_id) "
    "WHERE wait_token IS NOT NULL";

// Schema version 1 kept each message in its work_items row: copy them out, then drop the
// column (SQLite rewrites the table once; ids and the AUTOINCREMENT counter are kept).
// Runs inside the opening transaction, so a file is migrated whole or not at all.
void moveMessagesOutOfWorkItems(sqlite::Db& db) {
    if (db.queryInt("SELECT COUNT(*) FROM pragma_table_info('work_items') "
                    "WHERE name = 'message'") == 0) {
        return;
    }
    db.exec("INSERT INTO work_item_messages (item_id, message) "
            "SELECT id, message FROM work_items; "
            "ALTER TABLE work_items DROP COLUMN message;");
}

// Schema version 2 had neither the execution's seq nor the message's size on an item:
// add them and fill them in (after createHistorySchema, which makes `executions`). Every
// message stays in work_item_messages; only items stored from now on share theirs.
void addExecutionColumns(sqlite::Db& db) {
    if (db.queryInt("SELECT COUNT(*) FROM pragma_table_info('work_items') "
                    "WHERE name = 'message_bytes'") > 0) {
        return;
    }
    db.exec("ALTER TABLE work_items ADD COLUMN execution_seq INTEGER; "
            "ALTER TABLE work_items ADD COLUMN message_seq INTEGER; "
            "ALTER TABLE work_items ADD COLUMN message_bytes INTEGER NOT NULL DEFAULT 0; "
            "UPDATE work_items SET message_bytes = COALESCE((SELECT "
            "length(CAST(m.message AS BLOB)) FROM work_item_messages m "
            "WHERE m.item_id = work_items.id), 0), "
            "execution_seq = (SELECT e.seq FROM executions e "
            "WHERE e.request_id = work_items.execution_id);");
}

// Run after addExecutionColumns. An execution's items are found by its seq where they have
// one (history on): an integer key, shorter than a 36-character request id, and the one
// history pruning needs (it hands messages over to items with `execution_seq <= cut`,
// which would otherwise scan work_items). The engine's request ids are UUIDv7, ordered
// too, so the pages saved are few (queue_bench --ids ordered: 0.14-0.18 -> 0.10-0.14 WAL
// frames per execution; 0.6 -> 0.13 with scattered ids). Items without a seq (history
// off, pruned, older) are found by id.
constexpr const char* kExecutionIndexes =
    "DROP INDEX IF EXISTS work_items_execution; "
    "CREATE INDEX IF NOT EXISTS work_items_execution_seq ON work_items (execution_seq) "
    "WHERE execution_seq IS NOT NULL; "
    "CREATE INDEX IF NOT EXISTS work_items_execution_id ON work_items (execution_id) "
    "WHERE execution_seq IS NULL;";

// Freed pages stay in the database file unless auto_vacuum is on; INCREMENTAL lets the
// writer give them back in small steps when it chooses (see idleMaintenance), instead of
// FULL's truncation inside every commit. The mode of an existing file changes only with a
// VACUUM, done once here (instant for a new file); if that fails (no space for the copy), the file keeps its mode
// and still reuses its free pages, it just never shrinks.
void enableIncrementalVacuum(sqlite::Db& db) {
    constexpr std::int64_t kIncremental = 2;
    if (db.queryInt("PRAGMA auto_vacuum") == kIncremental) return;
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    // Even a new file needs it: switching to WAL mode has already written its header.
    try {
        db.exec("VACUUM");
    } catch (const sqlite::Error&) {
        // See above: a file that keeps its free pages is no error.
    }
}

// Schema version 3 filtered paused flows out in every take, walking the index past all of
// their items: add the mark (after createAdminSchema, which makes `paused_flows`), and
// replace the ready index with one the mark leads.
void markPausedItems(sqlite::Db& db) {
    if (db.queryInt("SELECT COUNT(*) FROM pragma_table_info('work_items') "
                    "WHERE name = 'paused'") == 0) {
        db.exec("ALTER TABLE work_items ADD COLUMN paused INTEGER NOT NULL DEFAULT 0; "
                "UPDATE work_items SET paused = 1 "
                "WHERE flow_id IN (SELECT flow_id FROM paused_flows);");
    }
    db.exec("DROP INDEX IF EXISTS work_items_available; "
            "CREATE INDEX IF NOT EXISTS work_items_ready ON work_items (paused, available_at_ms);");
}

}  // namespace

void SqliteQueue::Impl::openDatabase() {
    const auto file = options_.dataDir / options_.fileName;
    writeDb_ = std::make_unique<sqlite::Db>(file);
    sqlite3_busy_timeout(writeDb_->handle(), static_cast<int>(options_.busyTimeout.count()));
    if (writeDb_->queryText("PRAGMA journal_mode = WAL") != "wal") {
        throw std::runtime_error("cannot switch " + file.string() + " to WAL mode");
    }
    // FULL: in WAL mode NORMAL skips the fsync at commit, and a power cut could then lose
    // items whose enqueue already returned.
    writeDb_->exec("PRAGMA synchronous = FULL");
    // Debian builds SQLite with SECURE_DELETE on, which also overwrites every page freed
    // (a finished item's message pages) with zeros: one more page through the WAL and
    // the checkpoint each time. FAST still zeroes deleted content inside the pages a
    // commit writes anyway, just not freed pages, which are reused or vacuumed soon.
    writeDb_->exec("PRAGMA secure_delete = FAST");
    // A WAL that grew past the limit (a long read, a burst) shrinks back to it once reset.
    writeDb_->exec(
        ("PRAGMA journal_size_limit = " + std::to_string(options_.walLimitBytes)).c_str());
    pageSize_ = writeDb_->queryInt("PRAGMA page_size");
    if (options_.maxRowBytes > 0) {
        sqlite3_limit(writeDb_->handle(), SQLITE_LIMIT_LENGTH,
                      static_cast<int>(std::min<std::uint64_t>(options_.maxRowBytes,
                                                               std::numeric_limits<int>::max())));
    }
    enableIncrementalVacuum(*writeDb_);
    // No checkpoint inside COMMIT; onWalCommit asks the checkpointer thread instead.
    writeDb_->exec("PRAGMA wal_autocheckpoint = 0");
    sqlite3_wal_hook(writeDb_->handle(), &Impl::onWalCommit, this);
    if (options_.maxDatabaseBytes > 0) {
        const std::int64_t pageSize = writeDb_->queryInt("PRAGMA page_size");
        const auto pages = std::max<std::uint64_t>(
            options_.maxDatabaseBytes / static_cast<std::uint64_t>(pageSize), 1);
        writeDb_->exec(("PRAGMA max_page_count = " + std::to_string(pages)).c_str());
    }

    writeDb_->exec("BEGIN IMMEDIATE");
    try {
        const std::int64_t version = writeDb_->queryInt("PRAGMA user_version");
        if (version > kSchemaVersion) {
            throw std::runtime_error(file.string() + " has queue schema version " +
                                     std::to_string(version) + ", newer than this build's " +
                                     std::to_string(kSchemaVersion));
        }
        writeDb_->exec(kSchema);
        if (writeDb_->queryInt("SELECT COUNT(*) FROM pragma_table_info('work_items') "
                               "WHERE name = 'wait_token'") == 0) {
            writeDb_->exec("ALTER TABLE work_items ADD COLUMN wait_token TEXT");
        }
        writeDb_->exec(kWaitingIndex);
        moveMessagesOutOfWorkItems(*writeDb_);
        createHistorySchema(*writeDb_, wallNowMs());  // before the leases are cleared below
        addExecutionColumns(*writeDb_);
        writeDb_->exec(kExecutionIndexes);
        createAdminSchema(*writeDb_);
        markPausedItems(*writeDb_);
        writeDb_->exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());

        // The previous owner of the file is gone (we hold the lock), and so is whatever it
        // had in flight: make those items ready at once, at their original place in line.
        // The attempts counted when they were taken stay counted: a step that takes the
        // whole engine down must not run for ever.
        sqlite::Stmt clear(*writeDb_,
                           "UPDATE work_items SET lease_token = NULL, "
                           "available_at_ms = MIN(created_at_ms, ?1), "
                           "last_error = 'the engine stopped while the item was leased "
                           "(crash or kill)' "
                           "WHERE lease_token IS NOT NULL");
        {
            sqlite::Stmt::Use use(clear);
            use->bind(1, wallNowMs()).run();
        }
        storedCount_ = writeDb_->queryInt("SELECT COUNT(*) FROM work_items");
        storedBytes_ = writeDb_->queryInt("SELECT COALESCE(SUM(message_bytes), 0) FROM work_items");
        deadCount_ = writeDb_->queryInt("SELECT COUNT(*) FROM dead_letters");
        keyCount_ = writeDb_->queryInt("SELECT COUNT(*) FROM deliveries");
        writeDb_->exec("COMMIT");
    } catch (...) {
        if (!writeDb_->autocommit()) {
            try {
                writeDb_->exec("ROLLBACK");
            } catch (...) {
                // The error being thrown says more than this one would.
            }
        }
        throw;
    }

    write_ = std::make_unique<WriteStatements>(*writeDb_);
    history_ = std::make_unique<SqliteHistory>(*writeDb_, options_.history);
    earliestFutureMs_ = queryEarliestFuture(wallNowMs());

    // Opened after the file is in WAL mode, so this connection reads without blocking the
    // writer and the writer never waits for it.
    readDb_ = std::make_unique<sqlite::Db>(file);
    sqlite3_busy_timeout(readDb_->handle(), static_cast<int>(options_.busyTimeout.count()));
    readDb_->exec("PRAGMA query_only = 1");
    read_ = std::make_unique<ReadStatements>(*readDb_);

    checkpointDb_ = std::make_unique<sqlite::Db>(file);
    sqlite3_busy_timeout(checkpointDb_->handle(),
                         static_cast<int>(options_.busyTimeout.count()));
    // A connection learns that the file is in WAL mode only when it first reads it. Until
    // then sqlite3_wal_checkpoint_v2 on it returns SQLITE_OK and does nothing at all (log
    // size -1): that is how the WAL once grew to 20 GB with not one page copied back.
    checkpointDb_->queryInt("PRAGMA schema_version");
}

}  // namespace flowgate::queue
