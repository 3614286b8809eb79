import { registry } from "@web/core/registry";
import {
    kanbanMany2ManyTagsAvatarUserField,
    KanbanMany2ManyTagsAvatarUserField,
    listMany2ManyTagsAvatarUserField,
    ListMany2ManyTagsAvatarUserField,
    many2ManyTagsAvatarUserField,
} from "@mail/views/web/fields/many2many_avatar_user_field/many2many_avatar_user_field";

/**
 * Who a ticket waits on, each person's name beside their avatar. Odoo's
 * ``many2many_avatar_user`` shows the avatars alone in a kanban card, and in a list
 * row as soon as there are two people: an avatar without an image is an initial,
 * which does not tell who it is.
 */
export class KanbanAvatarUserNamesField extends KanbanMany2ManyTagsAvatarUserField {
    get displayText() {
        return true;
    }
}

export class ListAvatarUserNamesField extends ListMany2ManyTagsAvatarUserField {
    get displayText() {
        return true;
    }
}

registry.category("fields").add("crossdept_avatar_user_names", many2ManyTagsAvatarUserField);
registry.category("fields").add("kanban.crossdept_avatar_user_names", {
    ...kanbanMany2ManyTagsAvatarUserField,
    component: KanbanAvatarUserNamesField,
});
registry.category("fields").add("list.crossdept_avatar_user_names", {
    ...listMany2ManyTagsAvatarUserField,
    component: ListAvatarUserNamesField,
});
