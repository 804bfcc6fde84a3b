#!/usr/bin/env python3
"""Refreshes the seed corpora in corpus/<target>/ from the unit tests' fixtures.

Every raw string literal R"(...)" in the listed test files becomes one seed file (named by the
SHA-1 of its content, as libFuzzer names its own finds), plus the hand-written seeds in
SEEDS below for inputs the tests build in code. Run from anywhere; existing seeds stay.
"""
import hashlib
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
TESTS = HERE.parent

SOURCES = {
    "fuzz_order_json": ["api/ModelParserTest.cpp", "filing/FakeOrderApi.cpp"],
    "fuzz_token_answer": ["api/ModelParserTest.cpp", "api/AmbitaClientTest.cpp"],
    "fuzz_push_request": [],
    "fuzz_multistatus": ["webdav/WebDavUnitTest.cpp", "webdav/WebDavScriptedTest.cpp"],
    "fuzz_config": ["host/HostConfigTest.cpp", "webdav/WebDavUnitTest.cpp", "host/DmsHostTest.cpp"],
    "fuzz_path_template": [],
    "fuzz_safe_name": [],
}

SEEDS = {
    "fuzz_push_request": [
        'token=fuzz-push-secret\n{"orderCollectionId": 1234567, "status": "FINISHED", '
        '"reference": "oppdrag-1", "technicalReference": "t-1"}',
        'token=fuzz-push-secret&x=1\n{"orderId": "1234568", "status": {"code": "NEW", "name": "Ny"}}',
        'token=wrong\n{"orderCollectionId": 7}',
        '\n{"orderCollectionId": 7}',
        'token=fuzz%2Dpush%2Dsecret\n{"orderCollectionId": -4}',
    ],
    "fuzz_path_template": [
        "{reference}/{orderId} {address}/{categoryFolder}\noppdrag-1\n1234567\nInfoveien 1",
        "{reference|orderId}/{{literal}}/{assetName}\n\n42\n../..",
        "{cadastre}-{productName}\n9999-1-1-0-0\nMeglerpakke",
        "{unknown}/x",
        "{a|}/{",
    ],
    "fuzz_safe_name": [
        "Reguleringskart \u00e6\u00f8\u00e5.pdf\nfallback",
        "../../etc/passwd",
        "CON.txt\n_",
        "a\u0301 decomposed\\name:with*chars?.tar.gz",
        ".hidden  .\n..",
        "/a//b/./c/../d",
        "x" * 300 + ".verylongextension",
    ],
}

RAW = re.compile(r'R"\((.*?)\)"', re.S)


def write(target: str, text: str) -> None:
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


for target, files in SOURCES.items():
    for name in files:
        path = TESTS / name
        if path.exists():
            for literal in RAW.findall(path.read_text(encoding="utf-8")):
                write(target, literal)
    for seed in SEEDS.get(target, []):
        write(target, seed)
