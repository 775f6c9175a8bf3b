//! Many services in one run: at most `concurrency` at once, started in config order.
//!
//! Each service is its own future (its own render → diff/register → update → watcher); a
//! failing one never stops the others. They run concurrently in the command's task
//! (`buffer_unordered`, no spawn: commands hold borrowed state, and Ctrl-C drops them all at
//! once, as it does a single deploy). A new service starts only when one ends, in config
//! order, so `--concurrency 1` processes the configs one after the other, in the order given.

use std::future::Future;

use futures_util::StreamExt;

/// Run `work` on every item, at most `concurrency` at once (≥ 1), started in item order.
/// Results come back in item order.
pub async fn run_all<T, R, F, Fut>(items: Vec<T>, concurrency: usize, work: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    let mut results: Vec<(usize, R)> = futures_util::stream::iter(items.into_iter().enumerate())
        .map(|(i, item)| {
            let fut = work(item);
            async move { (i, fut.await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// `(item, "start"|"end")` in the order they happened; items take decreasing time so that
    /// a run without the limit would end them out of order.
    async fn trace(concurrency: usize) -> (Vec<(usize, &'static str)>, Vec<usize>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let results = run_all((0..5).collect(), concurrency, |i: usize| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push((i, "start"));
                tokio::time::sleep(Duration::from_millis(100 * (5 - i as u64))).await;
                log.lock().unwrap().push((i, "end"));
                i * 10
            }
        })
        .await;
        let log = log.lock().unwrap().clone();
        (log, results)
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_one_is_strictly_in_order() {
        let (log, results) = trace(1).await;
        let want: Vec<(usize, &str)> = (0..5).flat_map(|i| [(i, "start"), (i, "end")]).collect();
        assert_eq!(log, want);
        assert_eq!(results, (0..5).map(|i| i * 10).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_at_once() {
        for limit in [2, 3, 10] {
            let (log, results) = trace(limit).await;
            let mut running = 0usize;
            let mut peak = 0;
            for (_, what) in &log {
                if *what == "start" {
                    running += 1;
                } else {
                    running -= 1;
                }
                peak = peak.max(running);
            }
            assert_eq!(peak, limit.min(5), "limit {limit}: {log:?}");
            // Started in config order; results in config order whatever the end order.
            let starts: Vec<usize> = log
                .iter()
                .filter(|(_, w)| *w == "start")
                .map(|(i, _)| *i)
                .collect();
            assert_eq!(starts, vec![0, 1, 2, 3, 4]);
            assert_eq!(results, (0..5).map(|i| i * 10).collect::<Vec<_>>());
        }
    }
}
