//! What `docket bench` measured, and how it prints.

use serde::Serialize;

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
    /// Seconds to import the backlog (not part of end to end).
    pub import_seconds: f64,
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
         import          {imp:>8.2} s (not in end to end)\n",
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
