//! Parallel paged requests under the refresh's permits.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Error;
use crate::cloud::Client;
use crate::cloud::api::Paged;
use crate::plan::inventory::ProviderAlias;

pub(super) struct Fetched<T> {
    /// Per request, in the order given.
    pub(super) items: Vec<Vec<T>>,
    pub(super) pages: u64,
}

/// Runs every request (each to its last page) concurrently, each holding one of `permits`
/// while it runs. The first failure cancels the rest.
pub(super) async fn fetch_all<A>(
    permits: &Arc<Semaphore>,
    requests: Vec<(ProviderAlias, Client, A)>,
) -> Result<Fetched<A::Item>, Error>
where
    A: Paged + Send + Sync + 'static,
    A::Item: Send + 'static,
{
    let n = requests.len();
    let mut tasks = JoinSet::new();
    for (index, (alias, client, request)) in requests.into_iter().enumerate() {
        let permits = permits.clone();
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await;
            let result = client.collect_pages_counted(request).await;
            (
                index,
                result.map_err(|source| Error::Cloud {
                    provider: alias,
                    source,
                }),
            )
        });
    }
    let mut items: Vec<Vec<A::Item>> = (0..n).map(|_| Vec::new()).collect();
    let mut pages = 0u64;
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.map_err(|e| Error::Task(e.to_string()))?;
        let (found, used) = result?;
        pages += used as u64;
        if let Some(slot) = items.get_mut(index) {
            *slot = found;
        }
    }
    Ok(Fetched { items, pages })
}
