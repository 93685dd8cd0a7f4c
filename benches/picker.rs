//! The number picker and the sticky lookup at pools of 100, 10,000 and 100,000 numbers: their
//! cost must not grow with the pool (SPEC §4; Spoke sorts the whole table per message). Every
//! pick carries the health filter (`health::pickable`); the `*_registered` cases add the
//! registration filter (issue #16) over a pool where nine numbers in ten are deliverable.
//!
//!     cargo bench --bench picker                      # SQLite in a temporary folder
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench picker

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use spoke_bandwidth::services::{access, area_codes};
use spoke_bandwidth::store::{
    self, callbacks::Pair, phone_numbers::NewNumber, phone_numbers::PickFrom,
};

const POOLS: [usize; 3] = [100, 10_000, 100_000];
/// Numbers are spread over this many area codes (the first 100 of the NANP table).
const AREA_CODES: usize = 100;

struct Fixture {
    db: DatabaseConnection,
    org: i32,
    area_code: String,
    state: String,
    contact: String,
    _dir: Option<tempfile::TempDir>,
}

async fn fixture(pool: usize) -> Fixture {
    let (url, dir) = match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            let name = format!("sbw_picker_{pool}_{}", std::process::id());
            let server = sea_orm::Database::connect(&admin)
                .await
                .expect("PostgreSQL answers");
            server
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await
                .unwrap();
            server
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            (
                format!("{}/{name}", admin.rsplit_once('/').unwrap().0),
                None,
            )
        }
        _ => {
            let dir = tempfile::tempdir().unwrap();
            (
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("picker.db").display()
                ),
                Some(dir),
            )
        }
    };
    let db = store::connect(&url).await.unwrap();
    store::migrate(&db).await.unwrap();
    let org = access::create_organization(&db, "Bench").await.unwrap();
    let codes: Vec<&str> = include_str!("../data/nanp-area-codes.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .take(AREA_CODES)
        .collect();
    let numbers: Vec<NewNumber> = (0..pool)
        .map(|i| {
            let area_code = codes[i % codes.len()];
            NewNumber {
                phone_number: format!("+1{area_code}{:07}", 2_000_000 + i),
                area_code: area_code.to_owned(),
                state: area_codes::region_of(area_code).to_owned(),
                service_id: None,
            }
        })
        .collect();
    store::phone_numbers::upsert_active(&db, org, &numbers)
        .await
        .unwrap();
    // As many contacts as numbers, each with a sticky sender.
    let contacts: Vec<Pair> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| Pair {
            contact_number: format!("+1704{:07}", 2_000_000 + i),
            user_number: n.phone_number.clone(),
        })
        .collect();
    for chunk in contacts.chunks(1_000) {
        store::callbacks::upsert_sticky(&db, org, chunk)
            .await
            .unwrap();
    }
    // Nine numbers in ten registered and deliverable, for the registration filter.
    db.execute_unprepared(&format!(
        "INSERT INTO bandwidth_number_registrations (organization_id, phone_number, kind, campaign_id, status, deliverable, updated_at) \
         SELECT organization_id, phone_number, 'LOCAL', 'CBENCH1', 'ACTIVE', id % 10 <> 0, CURRENT_TIMESTAMP \
         FROM bandwidth_phone_numbers WHERE organization_id = {org}"
    ))
    .await
    .unwrap();
    // As the purchase and sync jobs do after storing numbers (PostgreSQL's planner needs them).
    store::phone_numbers::refresh_statistics(&db).await.unwrap();
    let area_code = codes[0].to_owned();
    Fixture {
        state: area_codes::region_of(&area_code).to_owned(),
        contact: contacts[pool / 2].contact_number.clone(),
        db,
        org,
        area_code,
        _dir: dir,
    }
}

fn picker(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("picker");
    group
        .measurement_time(Duration::from_secs(5))
        .sample_size(50);
    for pool in POOLS {
        let f = runtime.block_on(fixture(pool));
        let mut now = 1_i64;
        group.bench_with_input(BenchmarkId::new("area_code", pool), &pool, |b, _| {
            b.to_async(&runtime).iter(|| {
                now += 1;
                store::phone_numbers::take_least_recently_used(
                    &f.db,
                    f.org,
                    PickFrom::AreaCode(&f.area_code),
                    now,
                    1000,
                    false,
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("state", pool), &pool, |b, _| {
            b.to_async(&runtime).iter(|| {
                now += 1;
                store::phone_numbers::take_least_recently_used(
                    &f.db,
                    f.org,
                    PickFrom::State(&f.state),
                    now,
                    1000,
                    false,
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("any", pool), &pool, |b, _| {
            b.to_async(&runtime).iter(|| {
                now += 1;
                store::phone_numbers::take_least_recently_used(
                    &f.db,
                    f.org,
                    PickFrom::Any,
                    now,
                    1000,
                    false,
                )
            })
        });
        group.bench_with_input(
            BenchmarkId::new("area_code_registered", pool),
            &pool,
            |b, _| {
                b.to_async(&runtime).iter(|| {
                    now += 1;
                    store::phone_numbers::take_least_recently_used(
                        &f.db,
                        f.org,
                        PickFrom::AreaCode(&f.area_code),
                        now,
                        1000,
                        true,
                    )
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("any_registered", pool), &pool, |b, _| {
            b.to_async(&runtime).iter(|| {
                now += 1;
                store::phone_numbers::take_least_recently_used(
                    &f.db,
                    f.org,
                    PickFrom::Any,
                    now,
                    1000,
                    true,
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("sticky_lookup", pool), &pool, |b, _| {
            b.to_async(&runtime)
                .iter(|| store::phone_numbers::find_active_sticky(&f.db, f.org, &f.contact))
        });
    }
    group.finish();
}

criterion_group!(benches, picker);
criterion_main!(benches);
