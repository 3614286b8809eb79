from . import process_mining
