//! Concurrent redeems: one key, one success; thousands of sessions across
//! threads with nothing left behind.

use crate::fixtures;

use std::sync::{Arc, Barrier};
use std::thread;

use coffer_session::{
    client, ClientMessage, Expected, IssueRequest, RejectReason, SessionConfig, SessionService, StoreLimits,
    Suite,
};
use fixtures::{expected, manual_clock, request, service_with, service_with_limits, PURPOSE};

const THREADS: usize = 8;

/// Every fourth round RSA (its keys are slow to make), ECDH otherwise.
fn suite_of(round: usize) -> Suite {
    if round.is_multiple_of(4) {
        Suite::RsaOaep2048
    } else {
        Suite::EcdhP256
    }
}

fn race(service: &SessionService, message: &ClientMessage) -> (usize, Vec<RejectReason>) {
    let barrier = Barrier::new(THREADS);
    let outcomes: Vec<_> = thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    service.redeem(message, &expected())
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let successes = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let reasons = outcomes
        .into_iter()
        .filter_map(Result::err)
        .map(|rejection| rejection.reason())
        .collect();
    (successes, reasons)
}

#[test]
fn many_threads_redeeming_one_key_get_exactly_one_success() {
    let service = service_with(SessionConfig::default(), manual_clock());
    for round in 0..24 {
        let suite = suite_of(round);
        let offer = service.issue(&request(suite)).unwrap();
        let message = client::encrypt(&offer, b"pw").unwrap();
        let (successes, reasons) = race(&service, &message);
        assert_eq!(successes, 1, "round {round} ({suite})");
        assert!(
            reasons.iter().all(|reason| *reason == RejectReason::AlreadyUsed),
            "{reasons:?}"
        );
    }
    assert_eq!(service.stats().live, 0);
}

#[test]
fn racing_redeems_by_other_issuers_neither_burn_nor_double_spend() {
    let service = service_with(SessionConfig::default(), manual_clock());
    for round in 0..16 {
        let suite = suite_of(round);
        let offer = service.issue(&request(suite)).unwrap();
        let message = client::encrypt(&offer, b"pw").unwrap();
        // Only other principals race first: nobody gets it, nothing is burned.
        let barrier = Barrier::new(THREADS);
        let outcomes: Vec<_> = thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|i| {
                    let (barrier, service, message) = (&barrier, &service, &message);
                    scope.spawn(move || {
                        barrier.wait();
                        let thief = format!("thief-{i}");
                        service.redeem(message, &expected().issuer(&thief)).map(|_| ())
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        assert!(
            outcomes
                .iter()
                .all(|outcome| outcome.as_ref().unwrap_err().reason() == RejectReason::WrongIssuer),
            "round {round}: {outcomes:?}"
        );
        // Then the owner races the others: exactly one success, the owner's.
        let barrier = Barrier::new(THREADS);
        let outcomes: Vec<_> = thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|i| {
                    let (barrier, service, message) = (&barrier, &service, &message);
                    scope.spawn(move || {
                        barrier.wait();
                        let issuer = if i % 2 == 0 {
                            "alice".to_owned()
                        } else {
                            format!("thief-{i}")
                        };
                        (
                            i,
                            service.redeem(message, &expected().issuer(&issuer)).map(|_| ()),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        let winners: Vec<usize> = outcomes
            .iter()
            .filter(|(_, outcome)| outcome.is_ok())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round} ({suite}): {outcomes:?}");
        assert_eq!(winners[0] % 2, 0, "only the issuer can win");
        for (i, outcome) in &outcomes {
            if let Err(rejection) = outcome {
                let allowed: &[RejectReason] = if i % 2 == 0 {
                    &[RejectReason::AlreadyUsed]
                } else {
                    &[RejectReason::WrongIssuer, RejectReason::AlreadyUsed]
                };
                assert!(allowed.contains(&rejection.reason()), "{i}: {rejection:?}");
            }
        }
    }
    assert_eq!(service.stats().live, 0);
}

#[test]
fn stress_issue_and_redeem_across_threads_leaks_nothing() {
    const PER_THREAD: usize = 600;
    let clock = manual_clock();
    let limits = StoreLimits {
        per_issuer: PER_THREAD,
        capacity: 100_000,
        remembered: 100_000,
        ..StoreLimits::default()
    };
    let service = Arc::new(service_with_limits(limits, clock.clone()));
    let abandoned: usize = thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|worker| {
                let service = Arc::clone(&service);
                scope.spawn(move || {
                    let issuer = format!("worker-{worker}");
                    let mut abandoned = 0;
                    for i in 0..PER_THREAD {
                        // A few RSA sessions from the cached keys; the rest ECDH.
                        let suite = if i % 100 == 0 {
                            Suite::RsaOaep2048
                        } else {
                            Suite::EcdhP256
                        };
                        let binding = format!("doc-{worker}-{i}");
                        let offer = service
                            .issue(&IssueRequest::new(suite, PURPOSE, &binding, &issuer))
                            .unwrap();
                        if i % 10 == 7 {
                            abandoned += 1; // never redeemed: left for expiry
                            continue;
                        }
                        let secret = format!("secret {worker} {i}");
                        let message = client::encrypt(&offer, secret.as_bytes()).unwrap();
                        let redeemed = service
                            .redeem(&message, &Expected::new(PURPOSE, &binding))
                            .unwrap();
                        assert!(redeemed.secret().ct_eq(secret.as_bytes()));
                    }
                    abandoned
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).sum()
    });
    assert_eq!(service.stats().live, abandoned);
    clock.advance(service.config().ttl);
    assert_eq!(service.sweep(), abandoned);
    assert_eq!(service.stats().live, 0);
    fixtures::assert_store_forgets_everything(&service, &clock);
}
