//! The emulator under clients that misbehave: connections that never finish a request header,
//! and callers that make it count things without end. Each test runs a real server on
//! 127.0.0.1 and talks to it over the socket.

use std::time::{Duration, Instant};

use serde_json::Value;
use sgform::emulator::{
    BODY_READ_TIMEOUT, EmulatorError, HEADER_READ_TIMEOUT, MAX_WORLD_FILE_BYTES, Options,
    UNKNOWN_ACTION, World,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::emu_env::{Emu, KEY, wire_world};

const SHORT: Duration = Duration::from_millis(200);

/// How long the server took to close `stream` (EOF or reset), or `None` if it was still open
/// after `within`.
async fn closed_after(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, closed)
        .await
        .ok()
        .map(|()| started.elapsed())
}

async fn connect(emu: &Emu) -> TcpStream {
    TcpStream::connect(emu.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

fn short_timeout() -> Options {
    Options {
        header_read_timeout: SHORT,
        body_read_timeout: SHORT,
        ..Options::default()
    }
}

#[test]
fn the_read_timeouts_are_ten_seconds_by_default() {
    assert_eq!(HEADER_READ_TIMEOUT, Duration::from_secs(10));
    assert_eq!(Options::default().header_read_timeout, HEADER_READ_TIMEOUT);
    assert_eq!(BODY_READ_TIMEOUT, Duration::from_secs(10));
    assert_eq!(Options::default().body_read_timeout, BODY_READ_TIMEOUT);
}

#[tokio::test]
async fn a_connection_that_sends_half_a_header_is_closed() {
    let emu = Emu::start(wire_world(), short_timeout()).await;
    let mut stream = connect(&emu).await;
    stream
        .write_all(b"GET /_emulator/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let after = closed_after(&mut stream, Duration::from_secs(5))
        .await
        .expect("a half-sent header keeps the connection open");
    assert!(
        after >= SHORT / 2,
        "closed after {after:?}, before the timeout"
    );
    // A client that sends its header at once is still answered.
    assert_eq!(emu.stats().await["total"], 0);
    emu.stop().await;
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let emu = Emu::start(wire_world(), short_timeout()).await;
    let mut stream = connect(&emu).await;
    closed_after(&mut stream, Duration::from_secs(5))
        .await
        .expect("a silent connection stays open");
    emu.stop().await;
}

#[tokio::test]
async fn a_header_trickled_a_byte_at_a_time_does_not_keep_the_connection() {
    let emu = Emu::start(wire_world(), short_timeout()).await;
    let stream = connect(&emu).await;
    let (mut read, mut write) = stream.into_split();
    // One byte every 20 ms: each arrives well within the timeout, the whole header never does.
    let trickle = tokio::spawn(async move {
        for b in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if write.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    trickle.abort();
    assert!(
        closed.is_ok(),
        "a trickled header keeps the connection open"
    );
    emu.stop().await;
}

#[tokio::test]
async fn a_body_that_never_finishes_arriving_is_dropped() {
    let emu = Emu::start(wire_world(), short_timeout()).await;
    let mut stream = connect(&emu).await;
    // A complete header announcing 100 bytes of body, and 10 of them.
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nAction=Des")
        .await
        .unwrap();
    let after = closed_after(&mut stream, Duration::from_secs(5))
        .await
        .expect("a body that never arrives keeps the connection open");
    assert!(
        after >= SHORT / 2,
        "closed after {after:?}, before the timeout"
    );
    assert_eq!(emu.stats().await["total"], 0, "the call was answered");
    emu.stop().await;
}

#[tokio::test]
async fn a_kept_alive_connection_still_answers_within_the_timeout() {
    let emu = Emu::start(wire_world(), short_timeout()).await;
    let mut stream = connect(&emu).await;
    for _ in 0..3 {
        stream
            .write_all(b"GET /_emulator/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&answer).contains("\"total\"") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before answering");
            answer.extend_from_slice(&buf[..n]);
        }
        assert!(answer.starts_with(b"HTTP/1.1 200"));
        tokio::time::sleep(SHORT / 4).await;
    }
    emu.stop().await;
}

fn sizes(stats: &Value) -> (usize, usize, usize) {
    let len = |v: &Value| v.as_object().unwrap().len();
    (
        len(&stats["by_action"]),
        len(&stats["by_code"]),
        len(&stats["by_action_code"]),
    )
}

#[tokio::test]
async fn unknown_actions_share_one_stats_bucket() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    c.call("DescribeRegions", &[("RegionId", "cn-hangzhou")])
        .await
        .ok();
    let answer = c.call("NoSuchAction0", &[]).await;
    assert_eq!(
        (answer.status, answer.code()),
        (404, "InvalidAction.NotFound")
    );
    let before = emu.stats().await;
    assert_eq!(before["by_action"]["DescribeRegions"], 1);
    assert_eq!(before["by_action"][UNKNOWN_ACTION], 1);
    assert_eq!(
        before["by_action_code"][UNKNOWN_ACTION]["InvalidAction.NotFound"],
        1
    );

    // 10,000 distinct names, one in ten signed (so it reaches the action lookup), the rest not.
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let base = emu.base.clone();
            tokio::spawn(async move {
                let c = crate::support::emu_env::Client::new(&base, KEY);
                for n in (t..10_000).step_by(8) {
                    let name = format!("Made{n}UpAction");
                    if n % 10 == 0 {
                        c.call(&name, &[]).await;
                    } else {
                        let url = format!("{base}/?Action={name}");
                        c.http.get(url).send().await.unwrap();
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let after = emu.stats().await;
    assert_eq!(after["total"], 10_002);
    assert_eq!(after["by_action"][UNKNOWN_ACTION], 10_001);
    assert_eq!(
        (sizes(&after).0, sizes(&after).2),
        (sizes(&before).0, sizes(&before).2),
        "{after:#}"
    );
    // Unsigned calls add one code (the missing signature parameters), and no more.
    assert_eq!(sizes(&after).1, sizes(&before).1 + 1, "{after:#}");
    assert_eq!(after["by_action"]["DescribeRegions"], 1);
    emu.stop().await;
}

#[test]
fn a_world_file_over_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    // Sparse: the size is there, the bytes are not, so reading it whole would take a while.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_WORLD_FILE_BYTES + 1).unwrap();
    let started = Instant::now();
    let err = World::load(&path).unwrap_err();
    assert!(
        matches!(err, EmulatorError::WorldTooLarge { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "world file `{}` is larger than 256 MiB, the most the emulator reads",
            path.display()
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the file was read"
    );
    assert_eq!(MAX_WORLD_FILE_BYTES, 256 * 1024 * 1024);
    let small = dir.path().join("small.json");
    std::fs::write(&small, "{}").unwrap();
    World::load(&small).unwrap();
}
