"""Misattributed papers in the sources' reading lists (002 §7.3; 003 §7.3 and §10.1).

Each check compares the source's attribution with the paper's own record (authors, year, arXiv id)
kept in :data:`PAPERS`; the record is what the book's references cite.
"""
from __future__ import annotations

from . import Erratum

#: title -> (authors, year, arXiv id), from the papers themselves.
PAPERS = {
    "Sequence to Sequence Learning with Neural Networks": (("Sutskever", "Vinyals", "Le"), 2014, "1409.3215"),
    "Learning Phrase Representations using RNN Encoder-Decoder for Statistical Machine Translation":
        (("Cho", "van Merriënboer", "Gulcehre", "Bahdanau", "Bougares", "Schwenk", "Bengio"), 2014, "1406.1078"),
    "A Theoretically Grounded Application of Dropout in Recurrent Neural Networks":
        (("Gal", "Ghahramani"), 2016, "1512.05287"),
}

#: what the sources say: title -> (first author named, year given or None, arXiv id linked or None)
ATTRIBUTED = {
    "Sequence to Sequence Learning with Neural Networks": ("Cho", None, None),
    "A Theoretically Grounded Application of Dropout in Recurrent Neural Networks": ("Ravichandran", 2017, "1706.06059"),
}


def misattributed(title: str) -> bool:
    """The author the source names is not among the paper's authors (and, where the source gives them,
    its year or arXiv link differ from the paper's)."""
    authors, year, arxiv = PAPERS[title]
    who, said_year, said_arxiv = ATTRIBUTED[title]
    return (who not in authors and (said_year is None or said_year != year)
            and (said_arxiv is None or said_arxiv != arxiv))


def _cite(title: str) -> str:
    authors, year, arxiv = PAPERS[title]
    return f"{', '.join(authors[:-1])} & {authors[-1]} ({year}), arXiv:{arxiv}"


_SEQ = "Sequence to Sequence Learning with Neural Networks"
_DROP = "A Theoretically Grounded Application of Dropout in Recurrent Neural Networks"

ENTRIES = [
    Erratum("002 §7.3", "citations", f"\"{_SEQ}\": \"Cho等人所著的Seq2Seq论文\" (Cho et al.)", "Cho et al.",
            lambda: _cite(_SEQ),
            "Cho et al. (2014, arXiv:1406.1078) is the RNN encoder-decoder paper with the GRU; the LSTM "
            "sequence-to-sequence paper is by Sutskever, Vinyals & Le",
            "03_rnn_lstm_gru", check=lambda: misattributed(_SEQ)),
    Erratum("003 §7.3, §10.1", "citations", f"\"{_DROP}\" (Ravichandran et al., 2017; link arXiv:1706.06059)",
            "Ravichandran et al., 2017", lambda: _cite(_DROP),
            "wrong authors, year and link; the paper behind Keras's recurrent_dropout is Gal & Ghahramani's "
            "(NeurIPS 2016)",
            "04_purchase_prediction", check=lambda: misattributed(_DROP)),
]
