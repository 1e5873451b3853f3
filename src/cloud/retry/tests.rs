use super::*;

#[test]
fn backoff_grows_exponentially_up_to_the_cap_with_jitter_in_range() {
    let b = Backoff {
        base: Duration::from_millis(100),
        cap: Duration::from_millis(1000),
        max_attempts: 10,
    };
    assert_eq!(b.ceiling(1), Duration::from_millis(100));
    assert_eq!(b.ceiling(2), Duration::from_millis(200));
    assert_eq!(b.ceiling(4), Duration::from_millis(800));
    assert_eq!(b.ceiling(5), Duration::from_millis(1000));
    assert_eq!(b.ceiling(60), Duration::from_millis(1000));
    for retry in 1..8 {
        for _ in 0..50 {
            let d = b.delay(retry);
            assert!(d >= b.ceiling(retry) / 2 && d <= b.ceiling(retry), "{d:?}");
        }
    }
}

#[test]
fn rate_limiter_rejects_nonsense_rates() {
    assert!(RateLimiter::new(0.0, 1).is_none());
    assert!(RateLimiter::new(f64::NAN, 1).is_none());
    assert!(RateLimiter::new(-1.0, 1).is_none());
}

// Paused tokio time: the clock only moves when every task waits, so the assertion is on
// virtual time and exact.
#[tokio::test(start_paused = true)]
async fn rate_limiter_spaces_requests_after_the_burst() {
    let limiter = RateLimiter::new(10.0, 2).unwrap();
    let start = Instant::now();
    for _ in 0..6 {
        limiter.acquire().await;
    }
    // Two back to back, then four more at 100 ms intervals.
    assert_eq!(Instant::now() - start, Duration::from_millis(400));
}

#[tokio::test(start_paused = true)]
async fn rate_limiter_is_shared_between_tasks() {
    let limiter = std::sync::Arc::new(RateLimiter::new(5.0, 1).unwrap());
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..5 {
        let l = limiter.clone();
        handles.push(tokio::spawn(async move { l.acquire().await }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(Instant::now() - start, Duration::from_millis(800));
}

#[tokio::test(start_paused = true)]
async fn throttling_slows_once_a_second_down_to_the_floor_and_time_wins_it_back() {
    let limiter = RateLimiter::new(10.0, 1).unwrap();
    assert!((limiter.rate() - 10.0).abs() < 1e-6);
    // Nothing sent, nothing admitted: halve.
    limiter.throttled();
    limiter.throttled();
    assert!((limiter.rate() - 5.0).abs() < 1e-6, "one burst slows once");
    for _ in 0..20 {
        tokio::time::advance(Duration::from_secs(1)).await;
        limiter.throttled();
    }
    assert!(
        (limiter.rate() - MIN_RATE).abs() < 1e-6,
        "{}",
        limiter.rate()
    );
    // Successes alone, with no time passing, win nothing back.
    for _ in 0..1000 {
        limiter.succeeded();
    }
    assert!((limiter.rate() - MIN_RATE).abs() < 1e-6);
    // RECOVERY per second, compounded.
    tokio::time::advance(Duration::from_secs(10)).await;
    limiter.succeeded();
    let expected = MIN_RATE * (10.0 * RECOVERY).exp();
    assert!(
        (limiter.rate() - expected).abs() < 1e-6,
        "{} != {expected}",
        limiter.rate()
    );
    for _ in 0..100 {
        tokio::time::advance(Duration::from_secs(1)).await;
        limiter.succeeded();
    }
    assert!(
        (limiter.rate() - 10.0).abs() < 1e-6,
        "never above the configured rate"
    );
}

/// Told 1,000/s, sending 300/s (the parallelism bounds it) into a budget of 100/s: the first
/// throttling answer halves what was sent, not the configured rate (halving 1,000 would change
/// nothing); the next one settles just under what the budget admitted.
#[tokio::test(start_paused = true)]
async fn throttling_slows_to_what_was_sent_and_admitted() {
    let limiter = RateLimiter::new(1000.0, 5).unwrap();
    let start = Instant::now();
    let mut tick = 0u32;
    // Ten batches a second for `seconds`: `sent` requests each, the first `admitted` answered.
    let mut run = async |limiter: &RateLimiter, seconds: u32, sent: u32, admitted: u32| {
        for _ in 0..seconds * 10 {
            for i in 0..sent {
                limiter.acquire().await;
                if i < admitted {
                    limiter.succeeded();
                }
            }
            tick += 1;
            tokio::time::sleep_until(start + Duration::from_millis(100) * tick).await;
        }
    };
    run(&limiter, 1, 30, 10).await;
    limiter.throttled();
    let first = limiter.rate();
    assert!(
        (140.0..=160.0).contains(&first),
        "about half of the 300/s sent: {first}"
    );
    run(&limiter, 1, 15, 10).await;
    limiter.throttled();
    let second = limiter.rate();
    assert!(
        (85.0..=95.0).contains(&second),
        "about 90% of the 100/s admitted: {second}"
    );
    // Throttled at what the budget admits: still slower, by about a tenth.
    run(&limiter, 1, 9, 9).await;
    let before = limiter.rate();
    limiter.throttled();
    assert!(
        limiter.rate() < before / 1.05,
        "{before} then {}",
        limiter.rate()
    );
}
