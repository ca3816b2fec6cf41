//! What `docket bench` measured, and how it prints.

use serde::Serialize;

use super::BenchOptions;
use super::phases::{Ceilings, Loaded, Piped};

/// What was measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Cases reviewed.
    pub cases: usize,
    /// Messages published (`--cases-per-message`, by default `enqueue.cases_per_message`).
    pub messages: u64,
    /// Average message size in bytes.
    pub message_bytes: usize,
    /// Worker processes × consumers each.
    pub processes: usize,
    /// Consumers per process.
    pub consumers: usize,
    /// Cases per transaction, prefetch.
    pub batch: usize,
    /// Prefetch per consumer.
    pub prefetch: u16,
    /// Seconds spent generating the backlog into a temporary file, before the import.
    pub generate_seconds: f64,
    /// Seconds to import that file (not part of end to end).
    pub import_seconds: f64,
    /// Seconds `run create` took (not part of end to end).
    pub run_create_seconds: f64,
    /// CPU seconds of this process during the import.
    pub import_cpu_seconds: f64,
    /// CPU seconds of PostgreSQL's backends during the import.
    pub import_postgres_cpu_seconds: f64,
    /// CPU seconds of PostgreSQL's backends during `run create`.
    pub run_create_postgres_cpu_seconds: f64,
    /// Seconds from the start of enqueue to the last outcome committed.
    pub end_to_end_seconds: f64,
    /// Cases per second end to end.
    pub cases_per_second: f64,
    /// Seconds enqueue took (publishing with confirms, marking published).
    pub enqueue_seconds: f64,
    /// Enqueue rate, cases per second.
    pub enqueue_cases_per_second: f64,
    /// Worker rate: cases per second between the first and the last commit.
    pub worker_cases_per_second: f64,
    /// Publish-confirm to commit latency, median, milliseconds.
    pub latency_p50_ms: f64,
    /// Same, 99th percentile.
    pub latency_p99_ms: f64,
    /// Peak resident memory of the largest worker process, MiB.
    pub worker_peak_rss_mib: f64,
    /// Worker CPU seconds (all processes) per 1,000 cases.
    pub worker_cpu_seconds_per_1000: f64,
    /// The broker alone: the same messages published with confirms and consumed with acks, per second.
    pub broker_ceiling_messages_per_second: f64,
    /// The same ceiling in cases per second.
    pub broker_ceiling_cases_per_second: f64,
    /// End-to-end cases per second over the broker's ceiling in cases per second.
    pub ratio_to_ceiling: f64,
    /// The broker alone, publishing only: the same messages with confirms, no consumer, cases/s.
    pub publish_ceiling_cases_per_second: f64,
    /// Enqueue alone (no worker running), cases per second.
    pub enqueue_alone_cases_per_second: f64,
    /// Enqueue alone over the publish ceiling.
    pub enqueue_ratio_to_publish_ceiling: f64,
    /// PostgreSQL alone: the same outcome rows and offers written as the worker writes them
    /// (one transaction per batch, one writer per consumer), no broker, cases per second.
    pub store_ceiling_cases_per_second: f64,
    /// End to end over the lower of the broker and store ceilings (the pipeline's bottleneck).
    pub ratio_to_bottleneck: f64,
    /// Peak resident memory of the bench process itself (import included), MiB.
    pub bench_peak_rss_mib: f64,
    /// PostgreSQL CPU seconds (this database's backends) per 1,000 cases, end to end.
    pub postgres_cpu_seconds_per_1000: f64,
    /// RabbitMQ CPU seconds per 1,000 cases, end to end (the node is shared: others' load too).
    pub broker_cpu_seconds_per_1000: f64,
    /// Enqueue (this process) CPU seconds per 1,000 cases, end to end.
    pub enqueue_cpu_seconds_per_1000: f64,
    /// The database's size once the run is reviewed, MiB per million cases.
    pub database_mib_per_million_cases: f64,
}

const MIB: f64 = 1024.0 * 1024.0;

/// The report from the phases' measurements.
pub(super) fn assemble(
    opt: &BenchOptions,
    loaded: &Loaded,
    ceilings: &Ceilings,
    piped: &Piped,
    (p50, p99, span): (f64, f64, f64),
    (enqueue_alone_seconds, store_seconds): (f64, f64),
    db_bytes: i64,
) -> BenchReport {
    let cases = opt.cases as f64;
    let ceiling_secs = ceilings.both_seconds;
    let cases_per_second = cases / piped.end_to_end_seconds;
    let ceiling_cases = cases / ceiling_secs;
    BenchReport {
        cases: opt.cases,
        messages: piped.messages,
        message_bytes: ceilings.message_bytes,
        processes: opt.processes,
        consumers: opt.consumers,
        batch: opt.batch,
        prefetch: opt.prefetch,
        generate_seconds: loaded.generate_seconds,
        import_seconds: loaded.import_seconds,
        run_create_seconds: loaded.run_create_seconds,
        import_cpu_seconds: loaded.import_cpu_seconds,
        import_postgres_cpu_seconds: loaded.import_postgres_cpu_seconds,
        run_create_postgres_cpu_seconds: loaded.run_create_postgres_cpu_seconds,
        end_to_end_seconds: piped.end_to_end_seconds,
        cases_per_second,
        enqueue_seconds: piped.enqueue_seconds,
        enqueue_cases_per_second: cases / piped.enqueue_seconds,
        worker_cases_per_second: if span > 0.0 {
            cases / span
        } else {
            cases_per_second
        },
        latency_p50_ms: p50,
        latency_p99_ms: p99,
        worker_peak_rss_mib: piped.worker_rss_mib,
        worker_cpu_seconds_per_1000: piped.worker_cpu_seconds * 1000.0 / cases,
        broker_ceiling_messages_per_second: ceilings.messages as f64 / ceiling_secs,
        broker_ceiling_cases_per_second: ceiling_cases,
        ratio_to_ceiling: cases_per_second / ceiling_cases,
        publish_ceiling_cases_per_second: cases / ceilings.publish_seconds,
        enqueue_alone_cases_per_second: cases / enqueue_alone_seconds,
        enqueue_ratio_to_publish_ceiling: ceilings.publish_seconds / enqueue_alone_seconds,
        store_ceiling_cases_per_second: cases / store_seconds,
        ratio_to_bottleneck: cases_per_second / ceiling_cases.min(cases / store_seconds),
        bench_peak_rss_mib: super::procs::own_peak_rss_mib(),
        postgres_cpu_seconds_per_1000: piped.postgres_cpu_seconds * 1000.0 / cases,
        broker_cpu_seconds_per_1000: piped.broker_cpu_seconds * 1000.0 / cases,
        enqueue_cpu_seconds_per_1000: piped.enqueue_cpu_seconds * 1000.0 / cases,
        database_mib_per_million_cases: db_bytes as f64 / MIB / cases * 1e6,
    }
}

/// The report as a table for people.
pub fn render(r: &BenchReport) -> String {
    format!(
        "docket bench: {cases} cases, {msgs} messages of ~{bytes} B, {p} process(es) × {k} consumers, batch {b}, prefetch {pf}\n\
         end to end      {e2e:>8.2} s   {cps:>9.0} cases/s   ({ratio:.2} × broker ceiling)\n\
         enqueue         {enq:>8.2} s   {eps:>9.0} cases/s\n\
         worker                     {wps:>9.0} cases/s   (first to last commit)\n\
         latency         p50 {p50:.0} ms, p99 {p99:.0} ms (publish confirm to commit)\n\
         worker          peak RSS {rss:.1} MiB, {cpu:.3} CPU s per 1,000 cases\n\
         broker ceiling  {cm:>9.0} messages/s = {cc:.0} cases/s (same messages, confirms + acks, no work)\n\
         publish ceiling {pc:>9.0} cases/s (same messages, confirms, no consumer); enqueue alone {ea:.0} cases/s ({er:.2} × publish ceiling)\n\
         store ceiling   {sc:>9.0} cases/s (same outcome rows and offers, {k} writers, no broker)\n\
         bottleneck      end to end = {rb:.2} × min(broker, store) ceiling\n\
         before          generate {genr:.2} s (to a file), import {imp:.2} s (of that file), run create {rc:.2} s (not in end to end)\n\
         CPU before      import {icpu:.2} s + PostgreSQL {ipg:.2} s, run create PostgreSQL {rpg:.2} s\n\
         bench           peak RSS {brss:.1} MiB (this process, import included)\n\
         database        {dbm:.0} MiB per million cases (once reviewed)\n\
         CPU per 1,000   worker {cpu:.3} s, PostgreSQL {pgc:.3} s, RabbitMQ {rmq:.3} s, enqueue {enc:.3} s (end to end)\n",
        pgc = r.postgres_cpu_seconds_per_1000,
        rmq = r.broker_cpu_seconds_per_1000,
        enc = r.enqueue_cpu_seconds_per_1000,
        dbm = r.database_mib_per_million_cases,
        genr = r.generate_seconds,
        rc = r.run_create_seconds,
        icpu = r.import_cpu_seconds,
        ipg = r.import_postgres_cpu_seconds,
        rpg = r.run_create_postgres_cpu_seconds,
        brss = r.bench_peak_rss_mib,
        pc = r.publish_ceiling_cases_per_second,
        ea = r.enqueue_alone_cases_per_second,
        er = r.enqueue_ratio_to_publish_ceiling,
        sc = r.store_ceiling_cases_per_second,
        rb = r.ratio_to_bottleneck,
        cases = r.cases,
        msgs = r.messages,
        bytes = r.message_bytes,
        p = r.processes,
        k = r.consumers,
        b = r.batch,
        pf = r.prefetch,
        e2e = r.end_to_end_seconds,
        cps = r.cases_per_second,
        ratio = r.ratio_to_ceiling,
        enq = r.enqueue_seconds,
        eps = r.enqueue_cases_per_second,
        wps = r.worker_cases_per_second,
        p50 = r.latency_p50_ms,
        p99 = r.latency_p99_ms,
        rss = r.worker_peak_rss_mib,
        cpu = r.worker_cpu_seconds_per_1000,
        cm = r.broker_ceiling_messages_per_second,
        cc = r.broker_ceiling_cases_per_second,
        imp = r.import_seconds,
    )
}
