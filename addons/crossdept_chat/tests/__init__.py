from . import test_chat_callback, test_chat_delivery, test_chat_nonce, test_translation
