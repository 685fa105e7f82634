"""Interim measurement of the --boilerplate modes (not yet part of bench_boilerplate.py or RESULTS.md).

    python benchmarks/boilerplate_modes.py

On the measuring half of the by-site split (boilerplate_data.py), end to end with ``dqkit clean
--no-dedup``: trafilatura-eval-dev snippets kept/removed, web-boilerplate-gold-dev token P/R/F1
(no cleaning and each mode), and the lines of german-news-human the classifier or the repeated
lines remove. Work files go to a temporary folder.
"""
import sys, json, gzip, subprocess, collections, re, unicodedata
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
from boilerplate_data import DATA, GOLD_PAGES, MEASURE, gold_pages, snippet_pages
from pathlib import Path
import tempfile
W = Path(tempfile.mkdtemp())
ROOT = Path(__file__).resolve().parent.parent
def run(records, name, mode):
    src = W / f'{name}.jsonl'
    src.write_text(''.join(json.dumps(r, ensure_ascii=False) + '\n' for r in records))
    out = W / f'{name}-{mode}'
    subprocess.run([sys.executable, '-m', 'dqkit', 'clean', str(src), '-o', str(out), '-q', '--overwrite', '--boilerplate', mode, '--no-dedup'], check=True, cwd=ROOT)
    clean = {json.loads(l)['id']: json.loads(l)['text'] for l in open(out / 'clean.jsonl')}
    return clean
norm = lambda t: ' '.join(unicodedata.normalize('NFC', t).split())
pages = [p for p in snippet_pages() if p.side == MEASURE]
for mode in ('rules', 'conservative', 'aggressive'):
    clean = run([{'id': p.id, 'text': p.raw_text} for p in pages], 'traf', mode)
    kept = tot_w = rem = tot_wo = 0
    for p in pages:
        c = norm(clean.get(p.id, ''))
        for kind in ('with', 'without'):
            for t, f in zip(p.page[kind], p.page[f'{kind}_found_in_raw_text']):
                if not f: continue
                there = norm(t) in c
                if kind == 'with': tot_w += 1; kept += there
                else: tot_wo += 1; rem += not there
    a, b = kept / tot_w, rem / tot_wo
    print(f'trafilatura measure half ({len(pages)} pages) {mode}: with kept {a:.3f} ({kept}/{tot_w}), without removed {b:.3f} ({rem}/{tot_wo}), F {2*a*b/(a+b):.3f}', flush=True)
tok = lambda t: collections.Counter(re.findall(r'\w+', (t or '').lower()))
for subset in GOLD_PAGES:
    gp = [p for p in gold_pages(subset) if p.side == MEASURE]
    for mode in ('none', 'rules', 'conservative', 'aggressive'):
        clean = {p.id: p.raw_text for p in gp} if mode == 'none' else run([{'id': p.id, 'text': p.raw_text} for p in gp], subset, mode)
        tp = fp = fn = 0
        for p in gp:
            g, o = tok(p.page['gold_text']), tok(clean.get(p.id, ''))
            i = sum((g & o).values()); tp += i; fp += sum(o.values()) - i; fn += sum(g.values()) - i
        P, R = tp / (tp + fp), tp / (tp + fn)
        print(f'{subset} measure half ({len(gp)} pages) {mode}: P {P:.3f} R {R:.3f} F1 {2*P*R/(P+R):.3f}', flush=True)
news = [json.loads(l) for f in ('10kgnad_test', 'dewikinews_1k') for l in gzip.open(DATA / 'german-news-human' / f'{f}.jsonl.gz', 'rt')]
import polars as pl
for mode in ('conservative', 'aggressive'):
    run([{'id': d['id'], 'text': d['text']} for d in news], 'news', mode)
    e = pl.read_parquet(W / f'news-{mode}' / 'edits.parquet')
    bp = e.filter(pl.col('rule_id').is_in(['model.boilerplate', 'corpus.repeated-line']))
    total = sum(1 for d in news for l in d['text'].split('\n') if l.strip())
    print(f'german news {mode}: {bp.height} of {total} non-blank lines removed by the classifier/repeated lines ({bp.height/total:.3%})')
    for r in bp.head(20).iter_rows(named=True): print('   ', r['doc_id'], r['line_no'], r['rule_id'], r['score'], r['before'][:100])
