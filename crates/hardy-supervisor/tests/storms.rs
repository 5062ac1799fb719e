//! Short supervisor storms with assertions: the same code as the full-size run
//! (`cargo bench -p hardy-supervisor --bench storms`), at a size the test suite affords.

mod storm;

use std::time::Duration;

use storm::flat::{self, FlatParams};
use storm::nested::{self, NestedParams};

#[actix_rt::test]
async fn a_one_for_one_storm_of_2000_crashes_restarts_each_once_and_leaks_no_child() {
    let params = FlatParams {
        children: 100,
        rate: 4_000,
        total: 2_000,
        progress: None,
    };
    let report = tokio::time::timeout(Duration::from_secs(60), flat::run(params))
        .await
        .expect("the storm finished within 60 s")
        .expect("the storm ran");
    assert_eq!(
        flat::violations(&params, &report),
        Vec::<String>::new(),
        "{report:#?}"
    );
    assert!(
        report.crashed_error > 0 && report.crashed_panic > 0,
        "{report:#?}"
    );
}

#[actix_rt::test]
async fn a_nested_tree_escalates_exactly_where_the_intensities_predict() {
    let params = NestedParams {
        mids: 3,
        leaves: 3,
        workers: 3,
        leaf_max: 4,
        mid_max: 2,
        root_max: 1_000_000,
        crashes: 2_000,
        seed: 15,
    };
    let report = tokio::time::timeout(Duration::from_secs(60), nested::run(params))
        .await
        .expect("the schedule finished within 60 s")
        .expect("every crash restarted exactly the workers the model expected");
    assert_eq!(nested::violations(&params, &report), Vec::<String>::new());
    // The schedule must exercise both levels, or the test proves little.
    let leaf: u64 = report.expected.leaf_escalations.iter().sum();
    let mid: u64 = report.expected.mid_escalations.iter().sum();
    assert!(leaf > 100 && mid > 20, "leaf {leaf}, mid {mid} escalations");
}

#[test]
fn the_model_escalates_a_leaf_at_its_max_plus_first_restart_and_a_mid_likewise() {
    let params = NestedParams {
        mids: 1,
        leaves: 2,
        workers: 2,
        leaf_max: 1,
        mid_max: 2,
        root_max: 10,
        crashes: 0,
        seed: 0,
    };
    let mut m = nested::Model::new(params);
    assert_eq!(m.crash(0), 0..1); // leaf 0 absorbs one restart
    assert_eq!(m.crash(1), 0..2); // its second: leaf 0 escalates, mid restarts it
    assert_eq!(m.crash(2), 2..3); // leaf 1's first
    assert_eq!(m.crash(3), 2..4); // leaf 1 escalates: the mid's second restart
    assert_eq!(m.mid_escalations, vec![0]);
    assert_eq!(m.crash(0), 0..1);
    assert_eq!(m.crash(0), 0..4); // leaf 0 escalates: the mid's third restart, so it escalates
    assert_eq!(
        (m.leaf_escalations.clone(), m.mid_escalations.clone()),
        (vec![2, 1], vec![1])
    );
    assert_eq!(
        (m.mid_restarts.clone(), m.leaf_restarts.clone()),
        (vec![1], vec![0, 0])
    );
}
