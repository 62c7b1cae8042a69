"""Names the rest of the house relies on."""

from crvs.feeds.contract import AGENCIES, DATASETS, delivery_folder_name


def test_each_dataset_name_starts_with_its_agency():
    # the staging model stg_<agency>__<dataset> joins a dataset's rows to their agency's deliveries by it
    assert {name: d.agency for name, d in DATASETS.items()} == {name: name.split("_")[0].upper() for name in DATASETS}
    assert {d.agency for d in DATASETS.values()} == set(AGENCIES)


def test_a_delivery_folder_is_named_by_agency_and_id():
    assert delivery_folder_name("MOH", "MOH-2025Q3-0001") == "MOH-2025Q3-0001"
    assert delivery_folder_name("GSO", "2025-0001") == "GSO-2025-0001"
    assert delivery_folder_name("MOH", "2025-0001") != delivery_folder_name("GSO", "2025-0001")
    assert delivery_folder_name("MOH", "MOHX-1") == "MOH-MOHX-1"
